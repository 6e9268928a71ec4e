// What an operator needs to act on an unexpected error, safe to log: the error's class, its code
// when it has one (Prisma's P2021, a system error's ECONNREFUSED), and its message with anything
// that could be a secret masked. The first two causes of the chain are described the same way.
import type { LogFields } from './logger.js';

const MAX_MESSAGE_CHARS = 300;
/**
 * Masked in messages: URL credentials, bearer values, and any run of 20+ token characters
 * (access and refresh tokens, keys, ciphertexts). Identifiers such as table names stay readable.
 */
const SECRET_PATTERNS: RegExp[] = [
  /\/\/[^/\s:@]+:[^/\s@]+@/g,
  /\b(bearer|basic)\s+\S+/gi,
  /[A-Za-z0-9_\-.~+/=]{20,}/g,
];

export function redactMessage(message: string): string {
  let redacted = message;
  for (const pattern of SECRET_PATTERNS) redacted = redacted.replace(pattern, (match) => (match.startsWith('//') ? '//[redacted]@' : '[redacted]'));
  return redacted.length > MAX_MESSAGE_CHARS ? `${redacted.slice(0, MAX_MESSAGE_CHARS)}…` : redacted;
}

function describeOne(error: unknown): { errorClass: string; errorCode?: string; errorMessage?: string } {
  if (!(error instanceof Error)) return { errorClass: typeof error };
  const code = (error as { code?: unknown }).code;
  return {
    errorClass: error.constructor?.name && error.constructor.name !== 'Error' ? error.constructor.name : error.name,
    ...(typeof code === 'string' || typeof code === 'number' ? { errorCode: String(code) } : {}),
    errorMessage: redactMessage(error.message.split('\n').map((line) => line.trim()).filter(Boolean).join(' ')),
  };
}

/** Log fields for an unexpected error: errorClass, errorCode, errorMessage, and causeClass/causeMessage. */
export function errorCauseFields(error: unknown): LogFields {
  // GraphQL wraps what a resolver threw: describe the original error.
  const original = (error as { originalError?: unknown } | null)?.originalError ?? error;
  const fields: LogFields = { ...describeOne(original) };
  const cause = original instanceof Error ? original.cause : undefined;
  if (cause !== undefined) {
    const described = describeOne(cause);
    fields.causeClass = described.errorClass;
    if (described.errorCode) fields.causeCode = described.errorCode;
    if (described.errorMessage) fields.causeMessage = described.errorMessage;
  }
  return fields;
}

// Structured JSON lines on stderr through pino, one per event, with the current request's id.
// Callers pass only non-secret fields: ids, service names, error codes. The redaction below is a
// second line of defence for a field name that would carry a secret by mistake.
import { pino, type DestinationStream } from 'pino';
import type { LogLevel } from './config.js';
import { currentRequestId } from './request-context.js';

export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

export type LogSink = (line: string) => void;

const SECRET_FIELDS = [
  'token', 'accessToken', 'access_token', 'refreshToken', 'refresh_token', 'idToken', 'id_token', 'bearerToken',
  'siteToken', 'functionToken', 'clientSecret', 'client_secret', 'secret', 'authorizationCode', 'codeVerifier', 'code_verifier',
  'verifier', 'oauthState', 'password', 'authorization', 'apiKey', 'encryptionKey', 'adminToken',
];

export function createLogger(level: LogLevel, sink?: LogSink): Logger {
  const destination: DestinationStream = sink
    ? { write: (line: string) => sink(line.endsWith('\n') ? line.slice(0, -1) : line) }
    : pino.destination({ dest: 2, sync: true });
  const log = pino(
    {
      level,
      base: null,
      messageKey: 'message',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin: () => {
        const requestId = currentRequestId();
        return requestId ? { requestId } : {};
      },
      redact: { paths: SECRET_FIELDS, censor: '[redacted]' },
    },
    destination,
  );
  return {
    debug: (message, fields) => log.debug(fields ?? {}, message),
    info: (message, fields) => log.info(fields ?? {}, message),
    warn: (message, fields) => log.warn(fields ?? {}, message),
    error: (message, fields) => log.error(fields ?? {}, message),
  };
}

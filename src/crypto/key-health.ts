// What the running gateway knows about its keys: a stored value it could not decrypt turns into
// the error code KEY_UNAVAILABLE (never INTERNAL_SERVER_ERROR), and /readyz reports it for a while.
import { GraphQLError } from 'graphql';
import { maskError, type YogaServerOptions } from 'graphql-yoga';
import { LatchkeyError } from '../errors.js';
import type { Logger } from '../logger.js';
import { DecryptionError } from './token-cipher.js';

type MaskError = NonNullable<Exclude<YogaServerOptions<object, object>['maskedErrors'], boolean | undefined>['maskError']>;

/** How long after the last failure /readyz keeps answering 503. */
const REPORT_MS = 60_000;

export const KEY_UNAVAILABLE_MESSAGE =
  'A stored secret cannot be decrypted with the configured keys: the operator must set LATCHKEY_ENCRYPTION_KEY (or LATCHKEY_PREVIOUS_ENCRYPTION_KEYS) to the key it was stored with. Nothing was changed; try again once the gateway is fixed.';

export function keyUnavailable(): LatchkeyError {
  return new LatchkeyError('KEY_UNAVAILABLE', KEY_UNAVAILABLE_MESSAGE);
}

export function isDecryptionFailure(error: unknown): boolean {
  for (let cause: unknown = error, depth = 0; cause instanceof Error && depth < 5; cause = (cause as { originalError?: unknown; cause?: unknown }).originalError ?? cause.cause, depth += 1) {
    if (cause instanceof DecryptionError) return true;
  }
  return false;
}

export function createKeyHealth(logger: Logger) {
  let lastFailure = 0;
  function report(): void {
    if (Date.now() - lastFailure > 1000) logger.error('a stored secret cannot be decrypted with the configured keys', { code: 'KEY_UNAVAILABLE' });
    lastFailure = Date.now();
  }
  return {
    report,
    /** The /readyz reason while a failure is recent. */
    problem(): string | null {
      return Date.now() - lastFailure < REPORT_MS ? 'a stored secret cannot be decrypted with the configured keys (LATCHKEY_ENCRYPTION_KEY, LATCHKEY_PREVIOUS_ENCRYPTION_KEYS)' : null;
    },
    /** yoga's maskError, answering KEY_UNAVAILABLE for a decryption failure. */
    maskError: ((error, message, isDev) => {
      if (isDecryptionFailure(error)) {
        report();
        const unavailable = keyUnavailable();
        // Keep where it happened: a field error without its path cannot be matched to the null it left.
        if (!(error instanceof GraphQLError)) return unavailable;
        return new GraphQLError(unavailable.message, { nodes: error.nodes, source: error.source, positions: error.positions, path: error.path, extensions: unavailable.extensions });
      }
      return maskError(error, message, isDev);
    }) as MaskError,
  };
}

export type KeyHealth = ReturnType<typeof createKeyHealth>;

// Every error a caller can see is one of these, with the contract's `extensions.code`. Messages say
// what happened and what to do; they never carry a token, secret, authorization code or verifier.
import { GraphQLError } from 'graphql';

export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND'
  | 'AUTH_STATE_INVALID'
  | 'PROVIDER_ERROR'
  | 'NEEDS_REAUTH'
  | 'NOT_LOGGED_IN'
  | 'RATE_LIMITED'
  | 'UPSTREAM_ERROR'
  | 'KEY_UNAVAILABLE';

// Only a missing or invalid token changes the HTTP status (the contract's 401); every other error
// is a field error beside whatever data the rest of the query produced, so the status stays 200.
const httpStatusByCode: Partial<Record<ErrorCode, number>> = {
  UNAUTHENTICATED: 401,
};

/** A GraphQLError, so graphql-yoga passes it to the caller unmasked with its code. */
export class LatchkeyError extends GraphQLError {
  constructor(
    readonly code: ErrorCode,
    message: string,
    extensions: Record<string, unknown> = {},
  ) {
    const status = httpStatusByCode[code];
    super(message, { extensions: { code, ...extensions, ...(status ? { http: { status } } : {}) } });
    this.name = 'LatchkeyError';
  }
}

export const unauthenticated = (message: string) => new LatchkeyError('UNAUTHENTICATED', message);
export const forbidden = (message: string) => new LatchkeyError('FORBIDDEN', message);
export const badUserInput = (message: string, field?: string) =>
  new LatchkeyError('BAD_USER_INPUT', message, field ? { field } : {});
export const notFound = (message: string) => new LatchkeyError('NOT_FOUND', message);
export const authStateInvalid = (message: string) => new LatchkeyError('AUTH_STATE_INVALID', message);

/** `service` is the key errors carry in `extensions.service`; `friendlyName` is what the message calls it. */
export function providerError(service: string, friendlyName: string, providerErrorCode: string, description?: string): LatchkeyError {
  const detail = description ? `: ${description}` : '';
  return new LatchkeyError(
    'PROVIDER_ERROR',
    `${friendlyName} refused the request (${providerErrorCode}${detail}).`,
    { providerError: providerErrorCode, service },
  );
}

export function upstreamError(service: string, message: string, status?: number): LatchkeyError {
  return new LatchkeyError('UPSTREAM_ERROR', message, { service, ...(status ? { upstreamStatus: status } : {}) });
}

export function needsReauth(service: string, reason: string): LatchkeyError {
  return new LatchkeyError(
    'NEEDS_REAUTH',
    `The ${service} connection must be connected again: ${reason}`,
    { service },
  );
}

export function notLoggedIn(service: string, friendlyName: string): LatchkeyError {
  return new LatchkeyError(
    'NOT_LOGGED_IN',
    `This site is not connected to ${friendlyName}: connect it with startAuth(input: { service: ${service} }) first.`,
    { service },
  );
}

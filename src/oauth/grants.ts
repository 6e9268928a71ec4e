// The OAuth grants Latchkey performs, each a small function over an openid-client configuration.
// Failures come back as OAuthFailure with a `kind` that tells the caller what to do next.
import * as client from 'openid-client';
import type { ProviderDefinition } from '../providers/types.js';
import { readTokenSet, type TokenSet } from './token-set.js';
import { TokenEndpointRedirectError } from './client-configuration.js';
import { LatchkeyError } from '../errors.js';

export type OAuthFailureKind =
  /** The provider answered with an OAuth error (`error` holds its code). */
  | 'rejected'
  /** The authorization response failed a check (state, iss, missing code). */
  | 'invalid-response'
  /** 5xx, 429, network failure or timeout: worth retrying later. */
  | 'transient';

export class OAuthFailure extends Error {
  constructor(
    readonly kind: OAuthFailureKind,
    readonly error: string,
    message: string,
    readonly status?: number,
    /** The provider's Retry-After, in seconds, when it sent one (429, 503). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'OAuthFailure';
  }
}

/** Retry-After as delta-seconds or an HTTP date (RFC 9110 section 10.2.3); undefined when absent or unreadable. */
export function retryAfterSecondsOf(response: Response | undefined, now = Date.now()): number | undefined {
  const value = response?.headers.get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

export interface AuthorizationRequest {
  redirectUri: string;
  scopes: readonly string[];
  state: string;
  codeChallenge?: string | undefined;
  /** OpenID Connect nonce, sent when an ID token will be validated. */
  nonce?: string | undefined;
}

/**
 * OpenID Connect Core §11: a server ignores `offline_access` (and so issues no refresh token)
 * unless `prompt` contains `consent`. A fixed `prompt` keeps its values; `none` cannot be combined.
 */
export function promptFor(scopes: readonly string[], fixedPrompt: string | undefined): string | undefined {
  if (!scopes.includes('openid') || !scopes.includes('offline_access')) return fixedPrompt;
  const values = (fixedPrompt ?? '').split(' ').filter(Boolean);
  if (values.includes('consent') || values.includes('none')) return fixedPrompt;
  return [...values, 'consent'].join(' ');
}

function authorizationParameters(provider: ProviderDefinition, request: AuthorizationRequest): Record<string, string> {
  const parameters: Record<string, string> = {
    ...provider.authorizationParams,
    response_type: 'code',
    redirect_uri: request.redirectUri,
    state: request.state,
  };
  if (request.scopes.length > 0) parameters.scope = request.scopes.join(provider.scopeSeparator);
  const prompt = promptFor(request.scopes, provider.authorizationParams?.prompt);
  if (prompt) parameters.prompt = prompt;
  if (request.codeChallenge) {
    parameters.code_challenge = request.codeChallenge;
    parameters.code_challenge_method = 'S256';
  }
  if (request.nonce) parameters.nonce = request.nonce;
  return parameters;
}

/**
 * The authorization URL, through a pushed authorization request (RFC 9126) when the server has a
 * PAR endpoint: the parameters go to the server directly (authenticated as the client) and the
 * browser carries only client_id and request_uri.
 */
export async function authorizationUrlFor(
  config: client.Configuration,
  provider: ProviderDefinition,
  request: AuthorizationRequest,
): Promise<URL> {
  const parameters = authorizationParameters(provider, request);
  if (!config.serverMetadata().pushed_authorization_request_endpoint) return client.buildAuthorizationUrl(config, parameters);
  try {
    return await client.buildAuthorizationUrlWithPAR(config, parameters);
  } catch (error) {
    throw toOAuthFailure(provider, error);
  }
}

/**
 * Describes an openid-client failure without quoting the response body, which may hold secrets.
 * Throws, rather than describes, a LatchkeyError found in it (a refused custom service URL).
 */
export function toOAuthFailure(provider: ProviderDefinition, error: unknown, bodyErrorCode?: string): OAuthFailure {
  const name = provider.friendlyServiceName;
  if (error instanceof OAuthFailure) return error;
  // A URL the outbound policy refuses (a custom service's) is the caller's to fix, not the provider's failure.
  for (let cause: unknown = error, depth = 0; cause instanceof Error && depth < 4; cause = cause.cause, depth += 1) {
    if (cause instanceof LatchkeyError) throw cause;
  }
  if (error instanceof client.ResponseBodyError) {
    const transient = error.status >= 500 || error.status === 429;
    const description = typeof error.error_description === 'string' ? error.error_description.slice(0, 300) : undefined;
    return new OAuthFailure(
      transient ? 'transient' : 'rejected',
      error.error,
      `${name} answered ${error.error}${description ? ` (${description})` : ''}`,
      error.status,
      retryAfterSecondsOf(error.response),
    );
  }
  if (error instanceof client.WWWAuthenticateChallengeError) {
    // RFC 6749 §5.2: a 401 with WWW-Authenticate from the token endpoint is invalid_client.
    const named = error.cause.map((challenge) => challenge.parameters.error).find((code) => typeof code === 'string' && /^[\x20-\x7e]{1,100}$/.test(code));
    const transient = error.status >= 500 || error.status === 429;
    const code = named ?? (error.status === 401 ? 'invalid_client' : transient ? 'server_error' : 'invalid_request');
    return new OAuthFailure(
      transient ? 'transient' : 'rejected',
      code,
      `${name} answered ${code} (HTTP ${error.status})${code === 'invalid_client' ? ': check the client id, secret or key and the client authentication method' : ''}`,
      error.status,
      retryAfterSecondsOf(error.response),
    );
  }
  if (error instanceof client.AuthorizationResponseError) {
    return new OAuthFailure('rejected', error.error, `${name} reported ${error.error}`);
  }
  if (error instanceof TokenEndpointRedirectError) {
    return new OAuthFailure('transient', 'redirect_refused', error.message);
  }
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return new OAuthFailure('transient', 'timeout', `${name} did not answer in time`);
  }
  if (error instanceof client.ClientError) {
    const cause = (error as { cause?: unknown }).cause;
    if (cause instanceof Response) {
      const status = cause.status;
      const transient = status >= 500 || status === 429;
      return new OAuthFailure(
        transient ? 'transient' : 'rejected',
        bodyErrorCode ?? (transient ? 'server_error' : 'invalid_response'),
        bodyErrorCode ? `${name} answered HTTP ${status} (${bodyErrorCode})` : `${name} answered HTTP ${status} with an unexpected body`,
        status,
        retryAfterSecondsOf(cause),
      );
    }
    const code = error.code ?? 'invalid_response';
    if (/STATE|ISS|MISSING|PARAMETER|INVALID_RESPONSE/i.test(code) && !(cause instanceof Error && cause.name === 'TimeoutError')) {
      return new OAuthFailure('invalid-response', code, `${name}'s answer failed a check: ${error.message}`);
    }
    if (cause instanceof Error) return toOAuthFailure(provider, cause, bodyErrorCode);
    return new OAuthFailure('rejected', code, `${name}'s answer was not usable: ${error.message}`);
  }
  if (error instanceof TypeError) {
    return new OAuthFailure('transient', 'network_error', `${name} could not be reached`);
  }
  return new OAuthFailure('transient', 'unknown_error', `${name} failed unexpectedly`);
}

/** Whether ID tokens are kept and validated against the server's keys (it has a JWKS). */
export function validatesIdTokens(config: client.Configuration): boolean {
  return Boolean(config.serverMetadata().jwks_uri);
}

const ID_TOKEN_CHECKS = new Set(['OAUTH_JWT_TIMESTAMP_CHECK_FAILED', 'OAUTH_JWT_CLAIM_COMPARISON_FAILED', 'OAUTH_KEY_SELECTION_FAILED']);

/** An ID token that failed validation is the provider's fault, reported as invalid_id_token (never its content). */
function idTokenFailure(provider: ProviderDefinition, error: unknown): OAuthFailure | undefined {
  if (!(error instanceof client.ClientError)) return undefined;
  // openid-client wraps oauth4webapi's failure, whose message says what the check was about.
  const detail = error.cause instanceof Error ? error.cause.message : error.message;
  const about = ID_TOKEN_CHECKS.has(error.code ?? '') || /\b(JWT|JWS|ID Token|id_token)\b/.test(detail);
  if (!about) return undefined;
  const reason = detail.replace(/[^\x20-\x7e]/g, '').slice(0, 160);
  return new OAuthFailure('rejected', 'invalid_id_token', `${provider.friendlyServiceName}'s ID token failed validation (${reason})`);
}

/** An OAuth error code as RFC 6749 section 5.2 allows it, short enough to record. */
const OAUTH_ERROR_CODE = /^[\x20\x21\x23-\x5B\x5D-\x7E]{1,64}$/;
const ERROR_BODY_MAX_CHARS = 16_384;
const ERROR_BODY_WAIT_MS = 2_000;

/**
 * The `error` code of an OAuth error body that openid-client did not parse (it reads error bodies
 * of 4xx answers only; a 503 may carry `{"error":"temporarily_unavailable"}` too). Only the code is
 * kept: descriptions are free text and could echo what was sent.
 */
async function bodyErrorCodeOf(error: unknown): Promise<string | undefined> {
  const response = error instanceof client.ClientError ? (error as { cause?: unknown }).cause : undefined;
  if (!(response instanceof Response) || response.bodyUsed || !response.body) return undefined;
  try {
    const text = await Promise.race([
      response.text(),
      new Promise<string>((_, reject) => setTimeout(() => reject(new Error('body timeout')), ERROR_BODY_WAIT_MS).unref()),
    ]);
    if (text.length > ERROR_BODY_MAX_CHARS) return undefined;
    const body: unknown = JSON.parse(text);
    const code = typeof body === 'object' && body !== null ? (body as { error?: unknown }).error : undefined;
    return typeof code === 'string' && OAUTH_ERROR_CODE.test(code) ? code : undefined;
  } catch {
    return undefined;
  }
}

/** toOAuthFailure, keeping the provider's OAuth error code from any error body (5xx included). */
export async function describeOAuthFailure(provider: ProviderDefinition, error: unknown): Promise<OAuthFailure> {
  return toOAuthFailure(provider, error, await bodyErrorCodeOf(error));
}

export interface CodeExchange {
  /** The URL the provider redirected the browser to (code, state and, if sent, iss in its query). */
  callbackUrl: URL;
  expectedState: string;
  codeVerifier?: string | undefined;
  requestedScopes: readonly string[];
  /** The nonce sent with the authorization request: an ID token must carry it. */
  expectedNonce?: string | undefined;
}

export async function exchangeAuthorizationCode(
  config: client.Configuration,
  provider: ProviderDefinition,
  exchange: CodeExchange,
): Promise<TokenSet> {
  try {
    const response = await client.authorizationCodeGrant(config, exchange.callbackUrl, {
      expectedState: exchange.expectedState,
      pkceCodeVerifier: exchange.codeVerifier,
      expectedNonce: exchange.expectedNonce,
      idTokenExpected: false,
    });
    return { ...readTokenSet(provider, response as unknown as Record<string, unknown>, exchange.requestedScopes), idTokenClaims: response.claims() };
  } catch (error) {
    throw idTokenFailure(provider, error) ?? (await describeOAuthFailure(provider, error));
  }
}

export async function refreshTokens(
  config: client.Configuration,
  provider: ProviderDefinition,
  refreshToken: string,
  currentScopes: readonly string[],
): Promise<TokenSet> {
  try {
    const response = await client.refreshTokenGrant(config, refreshToken);
    return readTokenSet(provider, response as unknown as Record<string, unknown>, currentScopes);
  } catch (error) {
    throw idTokenFailure(provider, error) ?? (await describeOAuthFailure(provider, error));
  }
}

export async function requestClientCredentials(
  config: client.Configuration,
  provider: ProviderDefinition,
  scopes: readonly string[],
  /** Provider-specific parameters of the request (Box's box_subject_type and box_subject_id). */
  extraParameters: Readonly<Record<string, string>> = {},
): Promise<TokenSet> {
  try {
    const parameters: Record<string, string> = { ...extraParameters };
    if (scopes.length > 0) parameters.scope = scopes.join(provider.scopeSeparator);
    const response = await client.clientCredentialsGrant(config, parameters);
    return readTokenSet(provider, response as unknown as Record<string, unknown>, scopes);
  } catch (error) {
    throw await describeOAuthFailure(provider, error);
  }
}

// Revocation at the provider, in the style its file names (oauth.revocation). The styles that are a
// provider's own protocol are implemented here once and chosen by that name. Callers forget the
// tokens locally whatever happens here; a failure is reported, never thrown past signOut. A
// transient failure says which tokens remain, so the revocation queue can try those again.
import * as client from 'openid-client';
import type { ProviderDefinition, ProviderEndpoints } from '../providers/types.js';
import type { OAuthApp } from './client-configuration.js';
import { USER_AGENT } from './client-configuration.js';
import { OAuthFailure, retryAfterSecondsOf, toOAuthFailure } from './grants.js';

export interface RevocationTarget {
  accessToken?: string | undefined;
  refreshToken?: string | undefined;
  foreignUserId?: string | null | undefined;
}

/**
 * revoked: every token is invalid at the provider now (revoked, or already unknown to it).
 * not_supported: there is nothing this gateway can revoke there.
 * retry: a transient failure (5xx, 429, timeout, network); `remaining` still needs revoking.
 * refused: a definitive refusal (another 4xx, e.g. invalid_client); retrying cannot help.
 */
export type RevocationOutcome =
  | { result: 'revoked' }
  | { result: 'not_supported'; reason: string }
  | { result: 'retry'; reason: string; retryAfterSeconds?: number | undefined; remaining: RevocationTarget }
  | { result: 'refused'; reason: string; remaining: RevocationTarget };

/**
 * RFC 7009 §2.2: an invalid token is answered 200, so a server that answers these codes instead
 * (Salesforce: 400 invalid_token) is saying the token is already dead.
 */
const ALREADY_INVALID = new Set(['invalid_token', 'invalid_grant']);

/** The reason, without any of the tokens in it (a provider may echo what it was sent). */
function redact(reason: string, target: RevocationTarget): string {
  let text = reason;
  for (const token of [target.accessToken, target.refreshToken]) if (token && token.length >= 8) text = text.split(token).join('[redacted]');
  return text.slice(0, 300);
}

function basicAuthorization(app: OAuthApp): string {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(app.clientId)}:${encode(app.clientSecret ?? '')}`).toString('base64')}`;
}

function lowerCaseKeys(headers: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}

const MAX_ERROR_BODY_BYTES = 16_384;

/** The OAuth error code of a small JSON error body, if it has one; a larger body is not read on. */
async function errorCodeOf(response: Response): Promise<string | undefined> {
  if (!response.body || !(response.headers.get('content-type') ?? '').includes('json')) {
    await response.body?.cancel();
    return undefined;
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > MAX_ERROR_BODY_BYTES) return undefined; // leaving the loop cancels the stream
    chunks.push(chunk);
  }
  try {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { error?: unknown };
    return typeof body.error === 'string' && /^[\x20-\x7e]{1,100}$/.test(body.error) ? body.error : undefined;
  } catch {
    return undefined;
  }
}

async function expectSuccess(provider: ProviderDefinition, response: Response): Promise<void> {
  // 404 means the provider no longer knows the token: it is as revoked as it can be.
  if (response.ok || response.status === 404) {
    await response.body?.cancel();
    return;
  }
  const transient = response.status >= 500 || response.status === 429;
  const code = transient ? undefined : await errorCodeOf(response);
  if (transient) await response.body?.cancel();
  throw new OAuthFailure(
    transient ? 'transient' : 'rejected',
    code ?? `http_${response.status}`,
    `${provider.friendlyServiceName} answered HTTP ${response.status}${code ? ` (${code})` : ''} to the revocation`,
    response.status,
    retryAfterSecondsOf(response),
  );
}

/** The tokens an RFC 7009 sign-out revokes, refresh token first (§2.1: that may end the access tokens too). */
function rfc7009Steps(provider: ProviderDefinition, target: RevocationTarget): Array<'refresh_token' | 'access_token'> {
  const steps: Array<'refresh_token' | 'access_token'> = [];
  if (target.refreshToken && !provider.quirks.revokesAccessTokensOnly) steps.push('refresh_token');
  if (target.accessToken && !(steps.length > 0 && provider.quirks.refreshRevocationEndsAccessTokens)) steps.push('access_token');
  return steps;
}

export async function revokeAtProvider(
  config: client.Configuration,
  provider: ProviderDefinition,
  endpoints: ProviderEndpoints,
  app: OAuthApp,
  target: RevocationTarget,
  timeoutSeconds: number,
): Promise<RevocationOutcome> {
  const remaining: RevocationTarget = { ...target };
  const steps: Array<'refresh_token' | 'access_token' | 'once'> = provider.revocation === 'rfc7009' ? rfc7009Steps(provider, target) : ['once'];
  if (provider.revocation === 'rfc7009' && steps.length === 0) return { result: 'not_supported', reason: 'no token to revoke' };
  for (const step of steps) {
    try {
      const outcome = step === 'once' ? await revokeOnce(provider, endpoints, app, remaining, timeoutSeconds) : await revokeRfc7009(config, remaining, step);
      if (outcome) return outcome;
    } catch (error) {
      let failure: OAuthFailure;
      try {
        failure = toOAuthFailure(provider, error);
      } catch (refused) {
        // A URL the outbound policy refuses: no retry can reach it.
        return { result: 'refused', reason: redact(refused instanceof Error ? refused.message : 'refused', target), remaining };
      }
      if (failure.kind === 'transient') {
        return { result: 'retry', reason: redact(failure.message, target), retryAfterSeconds: failure.retryAfterSeconds, remaining };
      }
      if (!ALREADY_INVALID.has(failure.error)) return { result: 'refused', reason: redact(failure.message, target), remaining };
    }
    // Done with this token (revoked, or already invalid at the provider).
    if (step === 'refresh_token') delete remaining.refreshToken;
    else if (step === 'access_token') delete remaining.accessToken;
  }
  return { result: 'revoked' };
}

async function revokeRfc7009(config: client.Configuration, target: RevocationTarget, hint: 'refresh_token' | 'access_token'): Promise<undefined> {
  await client.tokenRevocation(config, (hint === 'refresh_token' ? target.refreshToken : target.accessToken)!, { token_type_hint: hint });
  return undefined;
}

/** One call in the provider's own style; undefined when it succeeded, an outcome when nothing could be sent. */
async function revokeOnce(
  provider: ProviderDefinition,
  endpoints: ProviderEndpoints,
  app: OAuthApp,
  target: RevocationTarget,
  timeoutSeconds: number,
): Promise<RevocationOutcome | undefined> {
  const request = revocationRequestOf(provider, endpoints, app, target);
  if (!request) return undefined;
  if ('result' in request) return request;
  const response = await fetch(request.url, {
    method: request.method,
    headers: { 'user-agent': USER_AGENT, ...provider.endpointHeaders, ...request.headers },
    body: request.body,
    redirect: 'manual',
    signal: AbortSignal.timeout(timeoutSeconds * 1000),
  });
  await expectSuccess(provider, response);
  return undefined;
}

interface RevocationRequest {
  url: string | URL;
  method: 'POST' | 'DELETE';
  headers: Record<string, string>;
  body?: string | URLSearchParams;
}

const noToken: RevocationOutcome = { result: 'not_supported', reason: 'no token to revoke' };
const form = { 'content-type': 'application/x-www-form-urlencoded' };
const json = { 'content-type': 'application/json', accept: 'application/json' };

/** The request a provider's own revocation style asks for; an outcome when there is nothing to send; undefined for RFC 7009 (sent token by token). */
function revocationRequestOf(provider: ProviderDefinition, endpoints: ProviderEndpoints, app: OAuthApp, target: RevocationTarget): RevocationRequest | RevocationOutcome | undefined {
  const { accessToken, refreshToken } = target;
  const endpoint = endpoints.revocation;
  const apiHeaders = lowerCaseKeys(provider.apiHeaders ?? {});
  switch (provider.revocation) {
    case undefined:
      return { result: 'not_supported', reason: `${provider.friendlyServiceName} has no revocation endpoint` };
    case 'github-token': {
      if (!accessToken) return noToken;
      const clientId = encodeURIComponent(app.clientId);
      const url = endpoint ? new URL(endpoint.replace('{client_id}', clientId)) : new URL(`applications/${clientId}/token`, endpoints.api.endsWith('/') ? endpoints.api : `${endpoints.api}/`);
      return { url, method: 'DELETE', headers: { ...apiHeaders, authorization: basicAuthorization(app), 'content-type': 'application/json' }, body: JSON.stringify({ access_token: accessToken }) };
    }
    case 'bearer-token':
    case 'bearer-token-delete':
      if (!accessToken || !endpoint) return noToken;
      return { url: endpoint, method: provider.revocation === 'bearer-token' ? 'POST' : 'DELETE', headers: { ...apiHeaders, authorization: `Bearer ${accessToken}` } };
    case 'bearer-and-token-field':
    case 'bearer-and-access-token-field': {
      if (!accessToken || !endpoint) return noToken;
      const field = provider.revocation === 'bearer-and-token-field' ? 'token' : 'access_token';
      return { url: endpoint, method: 'POST', headers: { authorization: `Bearer ${accessToken}`, ...form }, body: new URLSearchParams({ [field]: accessToken }) };
    }
    case 'client-secret-header-json':
      if (!accessToken || !endpoint) return noToken;
      return { url: endpoint, method: 'POST', headers: { authorization: `Client ${app.clientSecret ?? ''}`, ...json }, body: JSON.stringify({ client_id: app.clientId, access_token: accessToken }) };
    case 'token-and-client-in-body':
      if (!accessToken || !endpoint) return noToken;
      return {
        url: endpoint,
        method: 'POST',
        headers: json,
        body: JSON.stringify({ client_id: app.clientId, client_secret: app.clientSecret ?? '', access_token: accessToken }),
      };
    case 'refresh-token-in-path':
      if (!refreshToken || !endpoint?.includes('{refresh_token}')) return { result: 'not_supported', reason: 'no refresh token to revoke' };
      return { url: endpoint.replace('{refresh_token}', encodeURIComponent(refreshToken)), method: 'DELETE', headers: {} };
    case 'stripe-deauthorize':
      if (!target.foreignUserId || !endpoint) return { result: 'not_supported', reason: 'no Stripe account id to deauthorize' };
      return { url: endpoint, method: 'POST', headers: { authorization: `Bearer ${app.clientSecret ?? ''}`, ...form }, body: new URLSearchParams({ client_id: app.clientId, stripe_user_id: target.foreignUserId }) };
    case 'rfc7009':
      return undefined; // revokeAtProvider sends these itself, one token at a time
  }
}

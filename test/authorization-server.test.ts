// The oidc-provider stand-in for Salesforce, exercised directly with plain fetch.
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_ACCOUNT_ID,
  startAuthorizationServer,
  type AuthorizationServer,
} from './support/authorization-server.js';

const clientId = 'test-client';
const clientSecret = 'test-secret';
const redirectUri = 'http://127.0.0.1:9/callback';

let server: AuthorizationServer;

beforeAll(async () => {
  server = await startAuthorizationServer({ clients: [{ clientId, clientSecret, redirectUris: [redirectUri] }] });
});
afterAll(async () => {
  await server?.close();
});

function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

function authorizationUrl(options: { state: string; challenge?: string; scope?: string }) {
  const url = new URL(server.salesforceEnv().LATCHKEY_SALESFORCE_AUTHORIZATION_URL!);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: redirectUri,
    scope: options.scope ?? 'api refresh_token id',
    state: options.state,
    ...(options.challenge ? { code_challenge: options.challenge, code_challenge_method: 'S256' } : {}),
  }).toString();
  return url.toString();
}

async function tokenRequest(params: Record<string, string>) {
  const response = await fetch(server.salesforceEnv().LATCHKEY_SALESFORCE_TOKEN_URL!, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({ client_id: clientId, client_secret: clientSecret, ...params }),
  });
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { text };
  }
  return { status: response.status, body };
}

/** Authorizes with PKCE and returns the callback URL and the verifier. */
async function authorizeWithPkce(scope?: string) {
  const { verifier, challenge } = pkce();
  const state = randomBytes(8).toString('hex');
  const callback = await server.authorize(authorizationUrl({ state, challenge, scope }));
  expect(`${callback.origin}${callback.pathname}`).toBe(redirectUri);
  expect(callback.searchParams.get('state')).toBe(state);
  expect(callback.searchParams.get('iss')).toBe(server.issuer);
  const code = callback.searchParams.get('code');
  expect(code).toBeTruthy();
  return { code: code!, verifier };
}

async function exchange(code: string, verifier: string) {
  return tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier });
}

describe('the oidc-provider stand-in for Salesforce', () => {
  it('has a loopback issuer and Salesforce-shaped endpoints', () => {
    expect(server.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.salesforceEnv()).toEqual({
      LATCHKEY_SALESFORCE_AUTHORIZATION_URL: `${server.issuer}/services/oauth2/authorize`,
      LATCHKEY_SALESFORCE_TOKEN_URL: `${server.issuer}/services/oauth2/token`,
      LATCHKEY_SALESFORCE_REVOCATION_URL: `${server.issuer}/services/oauth2/revoke`,
      LATCHKEY_SALESFORCE_API_URL: server.issuer,
      LATCHKEY_SALESFORCE_ISSUER: server.issuer,
    });
  });

  it('runs the code flow with PKCE and no openid scope, answers like Salesforce, and refreshes', async () => {
    const { code, verifier } = await authorizeWithPkce();
    const before = server.state.tokenRequests;
    const { status, body } = await exchange(code, verifier);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      access_token: expect.any(String),
      refresh_token: expect.any(String),
      token_type: 'Bearer',
      scope: 'api refresh_token id',
      instance_url: server.issuer,
      id: `${server.issuer}/id/00Dxx0000001gPLEAY/${DEFAULT_ACCOUNT_ID}`,
      issued_at: expect.stringMatching(/^\d{13}$/),
      signature: expect.stringMatching(/^[A-Za-z0-9+/]+=*$/),
    });
    expect(body.id_token).toBeUndefined();
    expect(server.state.tokenRequests).toBe(before + 1);
    expect(server.state.lastTokenRequest).toEqual({ grantType: 'authorization_code', hadCodeVerifier: true });

    // The identity URL.
    const identity = await fetch(String(body.id), { headers: { authorization: `Bearer ${String(body.access_token)}` } });
    expect(identity.status).toBe(200);
    expect(await identity.json()).toMatchObject({
      id: body.id,
      user_id: DEFAULT_ACCOUNT_ID,
      organization_id: '00Dxx0000001gPLEAY',
      username: expect.any(String),
      display_name: expect.any(String),
    });
    const anonymous = await fetch(String(body.id), { headers: { authorization: 'Bearer nope' } });
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual({ error: 'Bad_OAuth_Token' });

    // Refresh: a new access token; like Salesforce (no rotation) no refresh_token in the answer.
    const refreshes = server.state.refreshRequests;
    const refreshed = await tokenRequest({ grant_type: 'refresh_token', refresh_token: String(body.refresh_token) });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body).toMatchObject({ access_token: expect.any(String), scope: 'api refresh_token id', instance_url: server.issuer });
    expect(refreshed.body.access_token).not.toBe(body.access_token);
    expect(refreshed.body.refresh_token).toBeUndefined();
    expect(server.state.refreshRequests).toBe(refreshes + 1);
    expect(server.state.lastTokenRequest).toEqual({ grantType: 'refresh_token', hadCodeVerifier: false });
  });

  it('rejects a wrong code_verifier and a reused code with invalid_grant', async () => {
    const first = await authorizeWithPkce();
    const wrong = await exchange(first.code, pkce().verifier);
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toBe('invalid_grant');

    const second = await authorizeWithPkce();
    expect((await exchange(second.code, second.verifier)).status).toBe(200);
    const reused = await exchange(second.code, second.verifier);
    expect(reused.status).toBe(400);
    expect(reused.body.error).toBe('invalid_grant');
  });

  it('redirects with error=access_denied, state and iss when the user denies', async () => {
    const callback = await server.authorize(authorizationUrl({ state: 'deny-state', challenge: pkce().challenge }), { deny: true });
    expect(`${callback.origin}${callback.pathname}`).toBe(redirectUri);
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('state')).toBe('deny-state');
    expect(callback.searchParams.get('iss')).toBe(server.issuer);
    expect(callback.searchParams.get('code')).toBeNull();
  });

  it('revokes a refresh token, after which refreshing fails with invalid_grant', async () => {
    const { code, verifier } = await authorizeWithPkce();
    const { body } = await exchange(code, verifier);
    const revocations = server.state.revocations;
    const revoked = await fetch(server.salesforceEnv().LATCHKEY_SALESFORCE_REVOCATION_URL!, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: String(body.refresh_token), client_id: clientId, client_secret: clientSecret }),
    });
    expect(revoked.status).toBe(200);
    expect(server.state.revocations).toBe(revocations + 1);
    const refreshed = await tokenRequest({ grant_type: 'refresh_token', refresh_token: String(body.refresh_token) });
    expect(refreshed.status).toBe(400);
    expect(refreshed.body.error).toBe('invalid_grant');
    // Its access tokens end with it.
    const identity = await fetch(String(body.id), { headers: { authorization: `Bearer ${String(body.access_token)}` } });
    expect(identity.status).toBe(401);
  });

  it('ends grants by account with revokeAllGrants', async () => {
    const { code, verifier } = await authorizeWithPkce();
    const { body } = await exchange(code, verifier);
    await server.revokeAllGrants(DEFAULT_ACCOUNT_ID);
    const refreshed = await tokenRequest({ grant_type: 'refresh_token', refresh_token: String(body.refresh_token) });
    expect(refreshed.status).toBe(400);
    expect(refreshed.body.error).toBe('invalid_grant');
  });

  it('fails the next token requests on demand, then recovers', async () => {
    const { code, verifier } = await authorizeWithPkce();
    server.failNextTokenRequests(1, 500);
    const before = server.state.tokenRequests;
    const failed = await exchange(code, verifier);
    expect(failed.status).toBe(500);
    expect(failed.body.error).toBe('unknown_error');
    expect(server.state.tokenRequests).toBe(before + 1);
    expect(server.state.lastTokenRequest).toEqual({ grantType: 'authorization_code', hadCodeVerifier: true });
    // The code was never seen by the server, so it still works.
    const retried = await exchange(code, verifier);
    expect(retried.status).toBe(200);

    server.failNextTokenRequests(2, 503);
    const unavailable = await tokenRequest({ grant_type: 'refresh_token', refresh_token: String(retried.body.refresh_token) });
    expect(unavailable.status).toBe(503);
    expect(unavailable.body.text).toContain('<html>');
    server.failNextTokenRequests(0, 429);
    expect((await tokenRequest({ grant_type: 'refresh_token', refresh_token: String(retried.body.refresh_token) })).status).toBe(503);
    expect((await tokenRequest({ grant_type: 'refresh_token', refresh_token: String(retried.body.refresh_token) })).status).toBe(200);
  });

  it('leaves a token request unanswered with hangNextTokenRequest', async () => {
    server.hangNextTokenRequest();
    const hung = fetch(server.salesforceEnv().LATCHKEY_SALESFORCE_TOKEN_URL!, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'x', client_id: clientId, client_secret: clientSecret }),
      signal: AbortSignal.timeout(300),
    });
    await expect(hung).rejects.toThrow(/abort|timeout/i);
    // The next one is answered normally.
    const after = await tokenRequest({ grant_type: 'refresh_token', refresh_token: 'x' });
    expect(after.status).toBe(400);
    expect(after.body.error).toBe('invalid_grant');
  });

  it('drops scopes it does not know and honours rotation when asked', async () => {
    const rotating = await startAuthorizationServer({
      clients: [{ clientId, clientSecret, redirectUris: [redirectUri], tokenEndpointAuthMethod: 'client_secret_basic' }],
      rotateRefreshTokens: true,
      accessTokenTtlSeconds: 120,
    });
    try {
      const url = new URL(authorizationUrl({ state: 's', scope: 'api refresh_token chatter_api' }));
      url.host = new URL(rotating.issuer).host;
      const callback = await rotating.authorize(url.toString(), { accountId: '005xx0000099999AAA' });
      const token = async (params: Record<string, string>) => {
        const response = await fetch(rotating.salesforceEnv().LATCHKEY_SALESFORCE_TOKEN_URL!, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
          },
          body: new URLSearchParams(params),
        });
        return (await response.json()) as Record<string, unknown>;
      };
      const first = await token({ grant_type: 'authorization_code', code: callback.searchParams.get('code')!, redirect_uri: redirectUri });
      expect(first).toMatchObject({ scope: 'api refresh_token', expires_in: 120, id: expect.stringMatching(/\/005xx0000099999AAA$/) });
      const second = await token({ grant_type: 'refresh_token', refresh_token: String(first.refresh_token) });
      expect(second.refresh_token).toEqual(expect.any(String));
      expect(second.refresh_token).not.toBe(first.refresh_token);
      expect(rotating.state.lastTokenRequest).toEqual({ grantType: 'refresh_token', hadCodeVerifier: false });
    } finally {
      await rotating.close();
    }
  });
});

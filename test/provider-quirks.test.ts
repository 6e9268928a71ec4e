// Provider facts that change what goes over the wire or how an answer is read, exercised through the
// gateway's real OAuth client against a loopback HTTP server: a revocation body under the provider's
// own field names (Miro), a revocation answered 204, and an expiry read from the access token's JWT
// `exp` (monday.com).
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';

import { createClientConfiguration } from '../src/oauth/client-configuration.js';
import { jwtExpiry } from '../src/oauth/jwt-expiry.js';
import { revokeAtProvider } from '../src/oauth/revocation.js';
import { readTokenSet } from '../src/oauth/token-set.js';
import { getProvider } from '../src/providers/index.js';
import { providerFileSchema } from '../src/providers/provider-schema.js';
import miro from '../src/providers/miro.js';
import twitter from '../src/providers/twitter.js';

interface Received {
  method: string | undefined;
  path: string;
  contentType: string | undefined;
  authorization: string | undefined;
  body: string;
}

/** A revocation endpoint that records each request and answers `status` with `body`. */
async function startRevocationEndpoint(status: number, body?: unknown) {
  const received: Received[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({
        method: req.method,
        path: new URL(req.url ?? '/', 'http://x').pathname,
        contentType: req.headers['content-type'],
        authorization: req.headers.authorization,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      if (body === undefined) res.writeHead(status).end();
      else res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

async function revokeAt(service: 'MIRO' | 'TWITTER', status: number, answer?: unknown) {
  const endpoint = await startRevocationEndpoint(status, answer);
  closers.push(endpoint.close);
  const provider = getProvider(service);
  const endpoints = { authorization: `${endpoint.base}/oauth/authorize`, token: `${endpoint.base}/oauth/token`, revocation: `${endpoint.base}/oauth/revoke`, api: endpoint.base };
  const app = { clientId: 'the-client-id', clientSecret: 'the-client-secret-value' };
  const config = createClientConfiguration(provider, endpoints, app, { issuer: endpoint.base, timeoutSeconds: 5 });
  const outcome = await revokeAtProvider(config, provider, endpoints, app, { accessToken: 'the-access-token-1', refreshToken: 'the-refresh-token-1' }, 5);
  return { outcome, received: endpoint.received };
}

const revokeMiro = (status: number, answer?: unknown) => revokeAt('MIRO', status, answer);

/** The provider-file schema refuses the file, naming the given path among its issues. */
function expectRefusedAt(file: unknown, path: string) {
  const result = providerFileSchema.safeParse(file);
  expect(result.success).toBe(false);
  expect(result.error?.issues.map((issue) => issue.path.join('.'))).toContain(path);
}

describe('a revocation body under the provider’s field names (Miro v2)', () => {
  it('sends exactly {accessToken, clientId, clientSecret} as JSON for the access token alone, and takes 204 as revoked', async () => {
    const { outcome, received } = await revokeMiro(204);
    expect(outcome).toEqual({ result: 'revoked' });
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ method: 'POST', path: '/oauth/revoke', authorization: undefined });
    expect(received[0]!.contentType).toContain('application/json');
    expect(JSON.parse(received[0]!.body)).toEqual({ accessToken: 'the-access-token-1', clientId: 'the-client-id', clientSecret: 'the-client-secret-value' });
  });

  it('takes 404, which Miro answers for a token it does not know, as already revoked', async () => {
    const { outcome, received } = await revokeMiro(404, { status: 404, message: 'Token not found' });
    expect(outcome).toEqual({ result: 'revoked' });
    expect(received).toHaveLength(1);
  });

  it('reports a refusal without the tokens or the secret in its reason', async () => {
    const { outcome } = await revokeMiro(401, { error: 'invalid_client', error_description: 'bad clientSecret' });
    expect(outcome.result).toBe('refused');
    const reason = 'reason' in outcome ? outcome.reason : '';
    expect(reason).toMatch(/invalid_client/);
    for (const secret of ['the-access-token-1', 'the-refresh-token-1', 'the-client-secret-value']) expect(reason).not.toContain(secret);
  });

  it('is refused in a file whose revocation is not RFC 7009', () => {
    const file = structuredClone(miro);
    file.oauth!.revocation = 'bearer-token';
    expectRefusedAt(file, 'oauth.quirks.revocationBodyFields');
  });
});

describe('client_id beside Basic client authentication (X)', () => {
  it('revokes refresh then access token, each form naming client_id while the secret stays in Basic', async () => {
    const { outcome, received } = await revokeAt('TWITTER', 200, {});
    expect(outcome).toEqual({ result: 'revoked' });
    expect(received.map((request) => new URLSearchParams(request.body).get('token_type_hint'))).toEqual(['refresh_token', 'access_token']);
    for (const request of received) {
      expect(request.contentType).toContain('application/x-www-form-urlencoded');
      // RFC 6749 §2.3.1: both halves of the Basic credentials are form-urlencoded first.
      const [user, password] = Buffer.from(request.authorization!.replace(/^Basic /, ''), 'base64').toString('utf8').split(':').map(decodeURIComponent);
      expect([user, password]).toEqual(['the-client-id', 'the-client-secret-value']);
      const form = new URLSearchParams(request.body);
      expect(form.get('client_id')).toBe('the-client-id');
      expect(form.has('client_secret')).toBe(false);
      expect(new URL(request.path, 'http://x').search).toBe('');
    }
  });

  it('is refused in a file that does not authenticate with Basic', () => {
    const file = structuredClone(twitter);
    file.oauth!.clientAuthMethod = 'client_secret_post';
    expectRefusedAt(file, 'oauth.quirks.clientIdWithBasic');
  });
});

describe('expiry from the access token’s JWT exp (monday.com)', () => {
  const monday = getProvider('MONDAY');
  const now = new Date('2026-12-02T12:00:00Z');
  const jwt = (claims: unknown) => `${Buffer.from('{"alg":"HS256"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.c2lnbmF0dXJl`;

  it('reads exp only from a three-part token with a numeric exp', () => {
    expect(jwtExpiry(jwt({ exp: 1_800_000_000 }))).toEqual(new Date(1_800_000_000_000));
    expect(jwtExpiry(jwt({ exp: '1800000000' }))).toBeUndefined();
    expect(jwtExpiry(jwt({ sub: 'no exp' }))).toBeUndefined();
    expect(jwtExpiry('opaque-token-without-dots')).toBeUndefined();
    expect(jwtExpiry('a.!!!.c')).toBeUndefined();
    expect(jwtExpiry(`a.${Buffer.from('not json').toString('base64url')}.c`)).toBeUndefined();
  });

  it('takes the exp when the answer has no expires_in, expires_in when it has one, and the assumed hour for an opaque token', () => {
    const exp = Math.floor(now.getTime() / 1000) + 7200;
    const fromJwt = readTokenSet(monday, { access_token: jwt({ exp }), token_type: 'bearer' }, ['me:read'], now);
    expect(fromJwt.expiresAt).toEqual(new Date(exp * 1000));
    const withExpiresIn = readTokenSet(monday, { access_token: jwt({ exp }), expires_in: 600 }, ['me:read'], now);
    expect(withExpiresIn.expiresAt).toEqual(new Date(now.getTime() + 600_000));
    const opaque = readTokenSet(monday, { access_token: 'opaque-access-token' }, ['me:read'], now);
    expect(opaque.expiresAt).toEqual(new Date(now.getTime() + 3600_000));
  });

  it('leaves the exp unread for a provider that does not declare it', () => {
    const exp = Math.floor(now.getTime() / 1000) + 7200;
    const salesforce = getProvider('SALESFORCE');
    const tokens = readTokenSet(salesforce, { access_token: jwt({ exp }) }, [], now);
    expect(tokens.expiresAt).toEqual(new Date(now.getTime() + salesforce.quirks.assumedLifetimeSeconds! * 1000));
  });
});

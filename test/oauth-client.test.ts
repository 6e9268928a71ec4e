// The gateway as a complete OAuth / OpenID Connect client, end to end over real HTTP against
// oidc-provider (one instance per server behaviour): pushed authorization requests (RFC 9126),
// private_key_jwt and client_secret_jwt client authentication (RFC 7523), prompt=consent with
// offline_access (OpenID Connect Core §11), ID token validation, invalid_client reported as the
// provider's, and servers whose client authentication the gateway cannot perform.
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ACCOUNT_ID, resignIdToken, startAuthorizationServer, type AuthorizationServer } from './support/authorization-server.js';
import { browserCookie, providerUrlOfAttempt, startTestGateway, type GraphQLResult, type TestGateway } from './support/gateway.js';
import { accountClaims, CLAIMS, errorCode, minimalDiscoveryDocument, secretOf, wellKnown } from './support/custom-services.js';
import { json, startTinyServer } from './support/tiny-server.js';
import { decryptSecret, secretContext } from '../src/crypto/token-cipher.js';

const ORIGIN = 'http://app.test:3000';
const APP_REDIRECT_URI = `${ORIGIN}/oauth/finish`;
const SERVICE_FIELDS = `slug clientAuthMethod hasClientSecret jwksUri pushedAuthorizationRequestEndpoint
  requirePushedAuthorizationRequests clientJwksUrl clientKeyId callbackUrl`;
const DEFINE = `mutation ($input: DefineCustomServiceInput!) { defineCustomService(input: $input) { ${SERVICE_FIELDS} } }`;
const START = 'mutation ($input: StartAuthInput!) { startAuth(input: $input) { authorizationUrl attemptId } }';
const READ = 'query ($slug: String!) { secrets { custom(slug: $slug) { isLoggedIn bearerToken foreignUserId foreignUserName status } } }';
const ATTEMPT = 'query ($id: ID!) { customAuthAttempt(id: $id) { status error } }';
const FINISH_CUSTOM = 'mutation ($input: FinishAuthInput!) { finishCustomAuth(input: $input) { isLoggedIn } }';

const MAIN = { clientId: 'oidc-main', clientSecret: secretOf('main') };
const PAR = { clientId: 'par-client', clientSecret: secretOf('par') };
const KEYED = { clientId: 'keyed-client', clientSecret: 'unused-by-private-key-jwt' };
const HMAC = { clientId: 'hmac-client', clientSecret: secretOf('hmac') };

type Result = GraphQLResult<any>;

let gateway: TestGateway;
let site: { siteId: string; token: string };
let oidc: AuthorizationServer;
let parRequired: AuthorizationServer;
let parAdvertised: AuthorizationServer;
let jwtServer: AuthorizationServer;

const gql = (query: string, variables?: Record<string, unknown>): Promise<Result> => gateway.gql(query, variables, site.token);
const callbackUrlOf = (slug: string) => `${gateway.publicUrl}/oauth/callback/custom/${site.siteId}/${slug}`;
const jwksUrlOf = (slug: string) => `${gateway.publicUrl}/oauth/jwks/${site.siteId}/${slug}`;

async function defineOk(input: Record<string, unknown>): Promise<Record<string, any>> {
  const result = await gql(DEFINE, { input });
  expect(result.body.errors).toBeUndefined();
  return result.body.data.defineCustomService as Record<string, any>;
}

async function startCustom(slug: string, input: Record<string, unknown> = {}) {
  const result = await gql(START, { input: { customService: slug, ...input } });
  expect(result.body.errors).toBeUndefined();
  return result.body.data.startAuth as { authorizationUrl: string; attemptId: string };
}

/** The browser: authorize at `as`, then open the gateway callback it lands on; returns where the gateway sends it. */
async function authorizeAndReturn(as: AuthorizationServer, authorizationUrl: string): Promise<URL> {
  const landing = await as.authorize(authorizationUrl);
  expect(landing.origin).toBe(new URL(gateway.publicUrl).origin);
  const response = await fetch(new URL(`${landing.pathname}${landing.search}`, gateway.url), { redirect: 'manual', headers: { cookie: browserCookie(landing) } });
  await response.body?.cancel();
  expect(response.status).toBe(302);
  return new URL(response.headers.get('location')!);
}

async function connect(slug: string, as: AuthorizationServer, input: Record<string, unknown> = {}) {
  const started = await startCustom(slug, { returnTo: `${ORIGIN}/done`, ...input });
  const back = await authorizeAndReturn(as, started.authorizationUrl);
  return { started, back };
}

async function connectOk(slug: string, as: AuthorizationServer, input: Record<string, unknown> = {}) {
  const outcome = await connect(slug, as, input);
  expect(outcome.back.searchParams.get('error')).toBeNull();
  expect(outcome.back.searchParams.get('latchkey_status')).toBe('success');
  return outcome;
}

const storedConnection = (slug: string) => gateway.gateway.db.connection.findFirst({ where: { siteId: site.siteId, service: `custom:${slug}` } });

/** Makes the stored token look expired, then reads it: the gateway must refresh at the server. */
async function refreshByReading(slug: string, as: AuthorizationServer) {
  await gateway.gateway.db.connection.updateMany({ where: { siteId: site.siteId, service: `custom:${slug}` }, data: { expiresAt: new Date(Date.now() - 60_000) } });
  const before = as.state.refreshRequests;
  const read = await gql(READ, { slug });
  expect(read.body.errors).toBeUndefined();
  expect(as.state.refreshRequests).toBe(before + 1);
  return read.body.data.secrets.custom as Record<string, any>;
}

beforeAll(async () => {
  gateway = await startTestGateway({ LATCHKEY_SWEEP_INTERVAL_SECONDS: '0', LATCHKEY_CUSTOM_SERVICE_ALLOW_LOOPBACK: 'true' });
  site = await gateway.createSite('OAuth client site', [ORIGIN]);
  const common = { claims: CLAIMS, accountClaims };
  [oidc, parRequired, parAdvertised, jwtServer] = await Promise.all([
    startAuthorizationServer({
      ...common,
      clients: [{ ...MAIN, tokenEndpointAuthMethod: 'client_secret_basic', redirectUris: [...['oidc', 'tampered', 'wrong-secret'].map(callbackUrlOf), APP_REDIRECT_URI] }],
    }),
    startAuthorizationServer({
      ...common,
      pushedAuthorizationRequests: 'required',
      clients: [{ ...PAR, tokenEndpointAuthMethod: 'client_secret_basic', redirectUris: [callbackUrlOf('par')] }],
    }),
    startAuthorizationServer({
      ...common,
      pushedAuthorizationRequests: 'advertised',
      clients: [{ ...PAR, tokenEndpointAuthMethod: 'client_secret_basic', redirectUris: [callbackUrlOf('par-advertised')] }],
    }),
    startAuthorizationServer({
      ...common,
      clients: [
        // The server fetches the gateway's public keys from the URL the site registered.
        { ...KEYED, tokenEndpointAuthMethod: 'private_key_jwt', jwksUri: jwksUrlOf('keyed'), redirectUris: [callbackUrlOf('keyed')] },
        { ...HMAC, tokenEndpointAuthMethod: 'client_secret_jwt', redirectUris: [callbackUrlOf('hmac')] },
      ],
    }),
  ]);
});

afterAll(async () => {
  await gateway?.close();
  await Promise.all([oidc, parRequired, parAdvertised, jwtServer].map((as) => as?.close()));
});

describe('pushed authorization requests (RFC 9126)', () => {
  for (const [mode, slug] of [['required', 'par'], ['advertised', 'par-advertised']] as const) {
    it(`pushes the request when the server ${mode === 'required' ? 'requires' : 'advertises'} PAR: the authorization URL carries only client_id and request_uri`, async () => {
      const as = mode === 'required' ? parRequired : parAdvertised;
      const service = await defineOk({ slug, friendlyServiceName: `PAR ${mode}`, discoveryUrl: wellKnown(as), ...PAR });
      expect(service.pushedAuthorizationRequestEndpoint).toBe(`${as.issuer}/request`);
      expect(service.requirePushedAuthorizationRequests).toBe(mode === 'required');

      const pushedBefore = as.state.pushedRequests;
      const started = await startCustom(slug, { returnTo: `${ORIGIN}/done` });
      expect(as.state.pushedRequests).toBe(pushedBefore + 1);
      const url = await providerUrlOfAttempt(gateway, started.attemptId);
      expect([...url.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri']);
      expect(url.searchParams.get('client_id')).toBe(PAR.clientId);
      expect(url.searchParams.get('request_uri')).toMatch(/^urn:ietf:params:oauth:request_uri:/);
      expect(started.authorizationUrl).not.toContain(PAR.clientSecret);

      const back = await authorizeAndReturn(as, started.authorizationUrl);
      expect(back.searchParams.get('latchkey_status')).toBe('success');
      const read = await gql(READ, { slug });
      expect(read.body.data.secrets.custom).toMatchObject({ isLoggedIn: true, status: 'ACTIVE', foreignUserId: DEFAULT_ACCOUNT_ID });
    });
  }

  it('reports a refused push as PROVIDER_ERROR, and never sends the kept secret to another PAR host', async () => {
    // The server refuses a redirect URI its client did not register, at the push.
    const refused = await gql(START, { input: { customService: 'par', redirectUri: `${ORIGIN}/not-registered` } });
    expect(refused.body.errors?.[0]?.extensions).toMatchObject({ code: 'PROVIDER_ERROR', providerError: 'invalid_request' });
    const failed = await gateway.gateway.db.authAttempt.findFirstOrThrow({ where: { siteId: site.siteId, service: 'custom:par' }, orderBy: { createdAt: 'desc' } });
    expect(failed).toMatchObject({ status: 'FAILED', error: 'invalid_request' });

    const moved = await gql(DEFINE, {
      input: { slug: 'par', friendlyServiceName: 'PAR required', discoveryUrl: wellKnown(parRequired), clientId: PAR.clientId, pushedAuthorizationRequestEndpoint: 'https://par.elsewhere.example/request' },
    });
    expect(errorCode(moved)).toBe('BAD_USER_INPUT');
    expect(moved.body.errors?.[0]?.extensions?.field).toBe('clientSecret');
  });
});

describe('private_key_jwt and client_secret_jwt (RFC 7523)', () => {
  it('generates a key, serves its public JWKS, signs assertions with it, and keeps the private key encrypted to its row', async () => {
    const service = await defineOk({ slug: 'keyed', friendlyServiceName: 'Keyed', discoveryUrl: wellKnown(jwtServer), clientId: KEYED.clientId, clientAuthMethod: 'PRIVATE_KEY_JWT' });
    expect(service).toMatchObject({ clientAuthMethod: 'PRIVATE_KEY_JWT', hasClientSecret: false, clientJwksUrl: jwksUrlOf('keyed') });
    expect(service.clientKeyId).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const response = await fetch(new URL(new URL(service.clientJwksUrl).pathname, gateway.url));
    expect(response.status).toBe(200);
    const jwks = (await response.json()) as { keys: Array<Record<string, unknown>> };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', kid: service.clientKeyId, alg: 'ES256', use: 'sig' });
    expect(jwks.keys[0]).not.toHaveProperty('d');

    // The private key is ciphertext bound to its row and column.
    const row = await gateway.gateway.db.customService.findFirstOrThrow({ where: { siteId: site.siteId, slug: 'keyed' } });
    expect(row.clientPrivateKey).not.toContain('"d"');
    const keyring = gateway.gateway.services.keyring;
    const privateJwk = JSON.parse(decryptSecret(keyring, row.clientPrivateKey!, secretContext('CustomService', 'clientPrivateKey', row.id))) as { d: string };
    expect(privateJwk.d).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(() => decryptSecret(keyring, row.clientPrivateKey!, secretContext('CustomService', 'clientSecret', row.id))).toThrow();

    await connectOk('keyed', jwtServer);
    expect(jwtServer.state.lastClientAssertion).toEqual({
      type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      header: expect.objectContaining({ alg: 'ES256', kid: service.clientKeyId }),
    });
    const refreshed = await refreshByReading('keyed', jwtServer);
    expect(refreshed).toMatchObject({ isLoggedIn: true, status: 'ACTIVE' });
    expect(jwtServer.state.lastClientAssertion?.header.kid).toBe(service.clientKeyId);
    // The private key appears in no log line and no answer.
    const everything = [...gateway.logs, JSON.stringify(service), JSON.stringify(jwks), JSON.stringify(refreshed)].join('\n');
    expect(everything).not.toContain(privateJwk.d);
  });

  it('rotates to a new kid while the old public key stays published, and accepts a site-supplied key', async () => {
    const before = await defineOk({ slug: 'keyed', friendlyServiceName: 'Keyed', discoveryUrl: wellKnown(jwtServer), clientId: KEYED.clientId, clientAuthMethod: 'PRIVATE_KEY_JWT' });
    const rotated = await defineOk({
      slug: 'keyed', friendlyServiceName: 'Keyed', discoveryUrl: wellKnown(jwtServer), clientId: KEYED.clientId, clientAuthMethod: 'PRIVATE_KEY_JWT', rotateClientKey: true,
    });
    expect(rotated.clientKeyId).not.toBe(before.clientKeyId);
    const jwks = (await (await fetch(new URL(`/oauth/jwks/${site.siteId}/keyed`, gateway.url))).json()) as { keys: Array<{ kid: string }> };
    expect(jwks.keys.map((key) => key.kid)).toEqual([rotated.clientKeyId, before.clientKeyId]);
    const again = await defineOk({
      slug: 'keyed', friendlyServiceName: 'Keyed', discoveryUrl: wellKnown(jwtServer), clientId: KEYED.clientId, clientAuthMethod: 'PRIVATE_KEY_JWT', rotateClientKey: true,
    });
    const after = (await (await fetch(new URL(`/oauth/jwks/${site.siteId}/keyed`, gateway.url))).json()) as { keys: Array<{ kid: string }> };
    expect(after.keys.map((key) => key.kid)).toEqual([again.clientKeyId, rotated.clientKeyId]);

    const own = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
    const supplied = await defineOk({
      slug: 'own-key', friendlyServiceName: 'Own key', discoveryUrl: wellKnown(jwtServer), clientId: 'own', clientAuthMethod: 'PRIVATE_KEY_JWT', clientPrivateKey: JSON.stringify(own),
    });
    const published = (await (await fetch(new URL(`/oauth/jwks/${site.siteId}/own-key`, gateway.url))).json()) as { keys: Array<Record<string, unknown>> };
    expect(published.keys).toEqual([{ kty: 'RSA', n: own.n, e: own.e, kid: supplied.clientKeyId, alg: 'RS256', use: 'sig' }]);

    for (const bad of ['not json', JSON.stringify({ kty: 'oct', k: 'AAAA' }), JSON.stringify({ kty: 'RSA', n: own.n, e: own.e })]) {
      const refused = await gql(DEFINE, { input: { slug: 'bad-key', friendlyServiceName: 'Bad', discoveryUrl: wellKnown(jwtServer), clientId: 'bad', clientAuthMethod: 'PRIVATE_KEY_JWT', clientPrivateKey: bad } });
      expect(errorCode(refused)).toBe('BAD_USER_INPUT');
      expect(refused.body.errors?.[0]?.message).toMatch(/private JWK/);
    }
    // No JWKS for a service that does not use private_key_jwt, or that does not exist.
    for (const path of [`/oauth/jwks/${site.siteId}/nope`, '/oauth/jwks/other-site/keyed']) {
      const missing = await fetch(new URL(path, gateway.url));
      await missing.body?.cancel();
      expect(missing.status).toBe(404);
    }
  });

  it('authenticates with client_secret_jwt (an HS256 assertion, no secret on the wire)', async () => {
    const service = await defineOk({ slug: 'hmac', friendlyServiceName: 'HMAC', discoveryUrl: wellKnown(jwtServer), ...HMAC, clientAuthMethod: 'CLIENT_SECRET_JWT' });
    expect(service).toMatchObject({ clientAuthMethod: 'CLIENT_SECRET_JWT', hasClientSecret: true, clientJwksUrl: null });
    await connectOk('hmac', jwtServer);
    expect(jwtServer.state.lastClientAssertion).toEqual({
      type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      header: expect.objectContaining({ alg: 'HS256' }),
    });
    expect(await refreshByReading('hmac', jwtServer)).toMatchObject({ isLoggedIn: true });
  });
});

describe('OpenID Connect: offline_access and ID tokens', () => {
  it('asks for prompt=consent with offline_access, so the default service receives a refresh token that works', async () => {
    // No authorizationParameters: the default a site gets from discovery alone.
    const service = await defineOk({ slug: 'oidc', friendlyServiceName: 'OIDC', discoveryUrl: wellKnown(oidc), ...MAIN });
    expect(service.jwksUri).toBe(`${oidc.issuer}/id/keys`);
    const { started } = await connectOk('oidc', oidc);
    const params = (await providerUrlOfAttempt(gateway, started.attemptId)).searchParams;
    expect(params.get('scope')!.split(' ').sort()).toEqual(['offline_access', 'openid']);
    expect(params.get('prompt')).toBe('consent');

    const row = (await storedConnection('oidc'))!;
    expect(gateway.gateway.services.store.refreshTokenOf(row)).toEqual(expect.any(String));
    const first = gateway.gateway.services.store.accessTokenOf(row);
    const refreshed = await refreshByReading('oidc', oidc);
    expect(refreshed.bearerToken).not.toBe(first);
    expect(refreshed).toMatchObject({ isLoggedIn: true, status: 'ACTIVE' });
  });

  it('sends a nonce kept encrypted with the attempt, and takes identity from the validated ID token', async () => {
    await defineOk({ slug: 'oidc', friendlyServiceName: 'OIDC', discoveryUrl: wellKnown(oidc), ...MAIN });
    const started = await startCustom('oidc', { returnTo: `${ORIGIN}/done`, scopes: ['openid', 'offline_access'] });
    const nonce = (await providerUrlOfAttempt(gateway, started.attemptId)).searchParams.get('nonce');
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const attempt = await gateway.gateway.db.authAttempt.findUniqueOrThrow({ where: { id: started.attemptId } });
    expect(attempt.nonce).not.toContain(nonce!);
    expect(decryptSecret(gateway.gateway.services.keyring, attempt.nonce!, secretContext('AuthAttempt', 'nonce', attempt.id))).toBe(nonce);

    // The ID token's sub is the identity: userinfo (which says something else) is only asked for a name with the same sub.
    let idTokenSub: unknown;
    oidc.rewriteIdTokens((idToken) => resignIdToken(idToken, (claims) => ((idTokenSub = claims.sub), { ...claims, preferred_username: 'from-the-id-token' })));
    try {
      const back = await authorizeAndReturn(oidc, started.authorizationUrl);
      expect(back.searchParams.get('latchkey_status')).toBe('success');
    } finally {
      oidc.rewriteIdTokens(undefined);
    }
    expect(idTokenSub).toBe(DEFAULT_ACCOUNT_ID);
    const read = await gql(READ, { slug: 'oidc' });
    expect(read.body.data.secrets.custom).toMatchObject({ foreignUserId: DEFAULT_ACCOUNT_ID, foreignUserName: 'from-the-id-token' });
  });

  const tamperings: Array<[string, (idToken: string) => string]> = [
    ['a forged signature', (idToken) => {
      const [header, payload, signature] = idToken.split('.');
      const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')) as Record<string, unknown>;
      return `${header}.${Buffer.from(JSON.stringify({ ...claims, sub: 'someone-else' })).toString('base64url')}.${signature}`;
    }],
    ['another nonce', (idToken) => resignIdToken(idToken, (claims) => ({ ...claims, nonce: 'replayed-nonce' }))],
    ['another audience', (idToken) => resignIdToken(idToken, (claims) => ({ ...claims, aud: 'another-client' }))],
    ['another issuer', (idToken) => resignIdToken(idToken, (claims) => ({ ...claims, iss: 'https://attacker.example' }))],
    ['an expired token', (idToken) => resignIdToken(idToken, (claims) => ({ ...claims, exp: Math.floor(Date.now() / 1000) - 3600 }))],
  ];
  for (const [what, tamper] of tamperings) {
    it(`fails the attempt with PROVIDER_ERROR and stores nothing for an ID token with ${what}`, async () => {
      await defineOk({ slug: 'tampered', friendlyServiceName: 'Tampered', discoveryUrl: wellKnown(oidc), ...MAIN });
      const started = await startCustom('tampered', { redirectUri: APP_REDIRECT_URI });
      const landing = await oidc.authorize(started.authorizationUrl);
      const input = { state: landing.searchParams.get('state'), code: landing.searchParams.get('code'), iss: landing.searchParams.get('iss') };
      oidc.rewriteIdTokens(tamper);
      let finished;
      try {
        finished = await gql(FINISH_CUSTOM, { input });
      } finally {
        oidc.rewriteIdTokens(undefined);
      }
      expect(finished.body.errors?.[0]?.extensions).toMatchObject({ code: 'PROVIDER_ERROR', providerError: 'invalid_id_token' });
      const attempt = await gql(ATTEMPT, { id: started.attemptId });
      expect(attempt.body.data.customAuthAttempt).toEqual({ status: 'FAILED', error: 'invalid_id_token' });
      expect(await storedConnection('tampered')).toBeNull();
    });
  }
});

describe('token endpoint errors', () => {
  it("reports a 401 with WWW-Authenticate as the provider's invalid_client, not as an unknown error", async () => {
    await defineOk({ slug: 'wrong-secret', friendlyServiceName: 'Wrong secret', discoveryUrl: wellKnown(oidc), clientId: MAIN.clientId, clientSecret: 'not-the-secret' });
    const started = await startCustom('wrong-secret', { redirectUri: APP_REDIRECT_URI });
    const landing = await oidc.authorize(started.authorizationUrl);
    const input = { state: landing.searchParams.get('state'), code: landing.searchParams.get('code'), iss: landing.searchParams.get('iss') };
    const finished = await gql(FINISH_CUSTOM, { input });
    const error = finished.body.errors?.[0];
    expect(error?.extensions).toMatchObject({ code: 'PROVIDER_ERROR', providerError: 'invalid_client' });
    expect(error?.message).not.toMatch(/unknown_error|try again/i);
    expect(error?.message).not.toContain('not-the-secret');
    expect((await gql(ATTEMPT, { id: started.attemptId })).body.data.customAuthAttempt).toEqual({ status: 'FAILED', error: 'invalid_client' });
    expect(await storedConnection('wrong-secret')).toBeNull();
  });
});

describe('client authentication the gateway cannot perform', () => {
  it('refuses a server that supports none of its methods, naming what it supports', async () => {
    const WK = '/.well-known/openid-configuration';
    const tiny = await startTinyServer((base) => ({
      [`/mtls${WK}`]: json({ ...minimalDiscoveryDocument(`${base}/mtls`, oidc), token_endpoint_auth_methods_supported: ['tls_client_auth', 'self_signed_tls_client_auth'] }),
      [`/keys-only${WK}`]: json({ ...minimalDiscoveryDocument(`${base}/keys-only`, oidc), token_endpoint_auth_methods_supported: ['private_key_jwt', 'tls_client_auth'] }),
      [`/post${WK}`]: json({ ...minimalDiscoveryDocument(`${base}/post`, oidc), token_endpoint_auth_methods_supported: ['tls_client_auth', 'client_secret_post'] }),
    }));
    try {
      const input = (path: string, extra: Record<string, unknown> = {}) => ({
        input: { slug: `auth-${path}`, friendlyServiceName: 'Auth', discoveryUrl: `${tiny.base}/${path}${WK}`, clientId: 'c', clientSecret: 's', ...extra },
      });
      const refused = await gql(DEFINE, input('mtls'));
      expect(errorCode(refused)).toBe('BAD_USER_INPUT');
      expect(refused.body.errors?.[0]?.message).toContain('tls_client_auth, self_signed_tls_client_auth');
      expect(await gateway.gateway.db.customService.count({ where: { siteId: site.siteId, slug: 'auth-mtls' } })).toBe(0);

      // The control: one usable method is enough, and is the default.
      expect((await defineOk(input('post').input)).clientAuthMethod).toBe('CLIENT_SECRET_POST');
      // Without a secret, a server that takes only keys gets private_key_jwt with a generated key.
      const keysOnly = await defineOk({ slug: 'auth-keys-only', friendlyServiceName: 'Keys', discoveryUrl: `${tiny.base}/keys-only${WK}`, clientId: 'c' });
      expect(keysOnly).toMatchObject({ clientAuthMethod: 'PRIVATE_KEY_JWT', clientJwksUrl: jwksUrlOf('auth-keys-only'), clientKeyId: expect.any(String) });
      // A method the server does not list is refused too.
      const unlisted = await gql(DEFINE, input('post', { clientAuthMethod: 'CLIENT_SECRET_BASIC' }));
      expect(errorCode(unlisted)).toBe('BAD_USER_INPUT');
      expect(unlisted.body.errors?.[0]?.message).toContain('tls_client_auth, client_secret_post');
    } finally {
      await tiny.close();
    }
  });
});

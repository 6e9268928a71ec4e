// The /graphql HTTP surface as a browser and an attacker's page see it: no caching, no form-driven
// mutations, CORS only for the token's own site and the gateway, and no schema hints in errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from './support/gateway.js';

const SITE_ORIGIN = 'http://app.test:3000';
const OTHER_ORIGIN = 'http://other.test:4000';
const EVIL_ORIGIN = 'http://evil.test';

let gateway: TestGateway;
let site: { siteId: string; token: string };
let other: { siteId: string; token: string };

beforeAll(async () => {
  gateway = await startTestGateway({ LATCHKEY_SPOTIFY_CLIENT_ID: 'surface-spotify', LATCHKEY_SPOTIFY_CLIENT_SECRET: 'surface-secret' });
  site = await gateway.createSite('Surface', [SITE_ORIGIN]);
  other = await gateway.createSite('Other', [OTHER_ORIGIN]);
});

afterAll(async () => {
  await gateway?.close();
});

function post(body: string, headers: Record<string, string>) {
  return fetch(gateway.graphqlUrl, { method: 'POST', headers, body });
}

const SECRETS = JSON.stringify({ query: '{ secrets { github { isLoggedIn } } }' });

describe('Cache-Control', () => {
  it('is no-store on every /graphql answer: POST, GET, errors and the GraphiQL page', async () => {
    const ok = await post(SECRETS, { 'content-type': 'application/json', authorization: `Bearer ${site.token}` });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('cache-control')).toBe('no-store');

    const unauthenticated = await post(SECRETS, { 'content-type': 'application/json' });
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.headers.get('cache-control')).toBe('no-store');

    const invalid = await post('{"query": "{ secrets {"}', { 'content-type': 'application/json', authorization: `Bearer ${site.token}` });
    expect(invalid.headers.get('cache-control')).toBe('no-store');

    const get = await fetch(`${gateway.graphqlUrl}?query=${encodeURIComponent('{ secrets { github { isLoggedIn } } }')}`, {
      headers: { authorization: `Bearer ${site.token}`, accept: 'application/json' },
    });
    expect(get.status).toBe(200);
    expect((await get.json()).data.secrets.github.isLoggedIn).toBe(false);
    expect(get.headers.get('cache-control')).toBe('no-store');

    const page = await fetch(gateway.graphqlUrl, { headers: { accept: 'text/html' } });
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.headers.get('cache-control')).toBe('no-store');
  });
});

describe('the GraphQL path', () => {
  // graphql-yoga also treats any URL that merely ends in "/graphql" as its endpoint; there the
  // protections keyed on /graphql (no-store, GraphiQL's CSP and frame ban) would not apply.
  it.each(['/graphql/', '/x/graphql', '//graphql', '/?/graphql', '/healthz/graphql'])('is exactly /graphql: %s answers 404, neither the API nor GraphiQL', async (path) => {
    const api = await fetch(`${gateway.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${site.token}` },
      body: SECRETS,
    });
    expect(api.status).toBe(404);
    expect(await api.text()).not.toContain('isLoggedIn');

    const page = await fetch(`${gateway.url}${path}`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(404);
    expect(await page.text()).not.toMatch(/graphiql/i);
  });

  it('leaves the other routes alone when their query string ends in /graphql', async () => {
    const health = await fetch(`${gateway.url}/healthz?from=/graphql`, { headers: { accept: 'text/html' } });
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
  });
});

describe('CSRF prevention', () => {
  const mutation = 'mutation { createSite(input: { name: "Forged" }) { siteToken } }';

  it.each([
    ['application/x-www-form-urlencoded', `query=${encodeURIComponent(mutation)}`],
    ['multipart/form-data; boundary=x', `--x\r\nContent-Disposition: form-data; name="query"\r\n\r\n${mutation}\r\n--x--\r\n`],
    ['text/plain', JSON.stringify({ query: mutation })],
  ])('refuses a %s POST before running it', async (contentType, body) => {
    const before = await gateway.gateway.db.site.count();
    // Even carrying the admin token (which a form cannot), the mutation never runs.
    const response = await post(body, { 'content-type': contentType, authorization: `Bearer ${gateway.adminToken}` });
    expect(response.status).toBe(403);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const answer = await response.json();
    expect(answer.data ?? null).toBeNull();
    expect(await gateway.gateway.db.site.count()).toBe(before);
  });

  it('still runs the same mutation sent as JSON', async () => {
    const response = await post(JSON.stringify({ query: mutation }), { 'content-type': 'application/json', authorization: `Bearer ${gateway.adminToken}` });
    expect(response.status).toBe(200);
    expect((await response.json()).data.createSite.siteToken).toMatch(/^lks_/);
  });
});

describe('CORS', () => {
  async function preflight(origin: string) {
    const response = await fetch(gateway.graphqlUrl, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });
    return response.headers.get('access-control-allow-origin');
  }

  async function allowedOriginFor(origin: string, token?: string) {
    const response = await post(SECRETS, { 'content-type': 'application/json', origin, ...(token ? { authorization: `Bearer ${token}` } : {}) });
    await response.body?.cancel();
    return response.headers.get('access-control-allow-origin');
  }

  it('grants a preflight only to origins a site allows and to the gateway itself', async () => {
    expect(await preflight(SITE_ORIGIN)).toBe(SITE_ORIGIN);
    expect(await preflight(new URL(gateway.publicUrl).origin)).toBe(new URL(gateway.publicUrl).origin);
    expect(await preflight(EVIL_ORIGIN)).toBeNull();
  });

  it("answers a request only for the token's own site's origins", async () => {
    expect(await allowedOriginFor(SITE_ORIGIN, site.token)).toBe(SITE_ORIGIN);
    expect(await allowedOriginFor(OTHER_ORIGIN, other.token)).toBe(OTHER_ORIGIN);
    // Another site's origin, a foreign origin, no token, a wrong token: no grant.
    expect(await allowedOriginFor(OTHER_ORIGIN, site.token)).toBeNull();
    expect(await allowedOriginFor(EVIL_ORIGIN, site.token)).toBeNull();
    expect(await allowedOriginFor(SITE_ORIGIN)).toBeNull();
    expect(await allowedOriginFor(SITE_ORIGIN, 'lks_not-a-real-token-at-all')).toBeNull();
    expect(await allowedOriginFor(SITE_ORIGIN, gateway.adminToken)).toBeNull();
  });

  it("grants the gateway's own origin (GraphiQL, the connect page)", async () => {
    const own = new URL(gateway.publicUrl).origin;
    expect(await allowedOriginFor(own, site.token)).toBe(own);
  });
});

describe('error messages', () => {
  it('never suggest enum values or field names', async () => {
    const enumValue = await gateway.gql('mutation { startAuth(input: { service: GITHU }) { attemptId } }', undefined, site.token);
    expect(enumValue.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(enumValue.body.errors?.[0]?.message).toMatch(/GITHU/);
    expect(enumValue.body.errors?.[0]?.message).not.toMatch(/Did you mean|GITHUB/);

    const variable = await gateway.gql('mutation ($s: Service!) { startAuth(input: { service: $s }) { attemptId } }', { s: 'SPOTIF' }, site.token);
    expect(variable.body.errors?.[0]?.message).not.toMatch(/Did you mean|SPOTIFY/);

    const field = await gateway.gql('{ secrets { githu { isLoggedIn } } }', undefined, site.token);
    expect(field.body.errors?.[0]?.message).not.toMatch(/Did you mean|github/);
  });

  // graphql-jit's own coercion named the field as if it were the variable ("$service").
  it('name the variable a refused input field is in, and the path inside it', async () => {
    const query = 'mutation ($input: StartAuthInput!) { startAuth(input: $input) { attemptId } }';
    const result = await gateway.gql(query, { input: { service: 'NOPE', scopes: ['repo'] } }, site.token);
    expect(result.body.errors).toHaveLength(1);
    expect(result.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(result.body.errors?.[0]?.message).toBe('Variable "$input" got invalid value "…" at "input.service"; Value "…" does not exist in "Service" enum.');

    const list = await gateway.gql(query, { input: { service: 'GITHUB', scopes: [1] } }, site.token);
    expect(list.body.errors?.[0]?.message).toMatch(/^Variable "\$input" got invalid value 1 at "input\.scopes\[0\]"; String cannot represent a non string value: 1$/);
  });
});

describe('browser tokens (lkc_)', () => {
  const SIGN_OUT = JSON.stringify({ query: 'mutation { signOut(service: GITHUB) { isLoggedIn } }' });

  it("are refused from a foreign Origin, and work from the site's origin, the gateway's own, or without Origin", async () => {
    const minted = await gateway.gql(
      'mutation { createFunctionToken(input: { canConnect: true }) { token } }',
      undefined,
      site.token,
    );
    const token = minted.body.data.createFunctionToken.token as string;
    expect(token).toMatch(/^lkc_/);
    const send = async (origin?: string) => {
      const response = await post(SIGN_OUT, { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...(origin ? { origin } : {}) });
      return response.json();
    };
    for (const origin of [EVIL_ORIGIN, OTHER_ORIGIN]) {
      const refused = await send(origin);
      expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(refused.data ?? null).toBeNull();
    }
    expect((await send(SITE_ORIGIN)).data.signOut.isLoggedIn).toBe(false);
    expect((await send(new URL(gateway.publicUrl).origin)).data.signOut.isLoggedIn).toBe(false);
    expect((await send()).data.signOut.isLoggedIn).toBe(false);
  });

  it('do not restrict site tokens, which servers hold', async () => {
    const response = await post(SIGN_OUT, { 'content-type': 'application/json', authorization: `Bearer ${site.token}`, origin: EVIL_ORIGIN });
    expect((await response.json()).data.signOut.isLoggedIn).toBe(false);
  });
});

describe('function tokens limited to some services', () => {
  it("cannot poll another service's attempts: they read as unknown", async () => {
    const started = await gateway.gql('mutation { startAuth(input: { service: SPOTIFY }) { attemptId } }', undefined, site.token);
    const attemptId = started.body.data.startAuth.attemptId as string;
    const mint = async (services: string[]) =>
      (await gateway.gql('mutation ($services: [Service!]) { createFunctionToken(input: { services: $services }) { token } }', { services }, site.token)).body.data.createFunctionToken.token as string;
    const poll = `{ authAttempt(id: "${attemptId}", waitSeconds: 0) { id status } }`;
    expect((await gateway.gql(poll, undefined, await mint(['GITHUB']))).body.data.authAttempt).toBeNull();
    expect((await gateway.gql(poll, undefined, await mint(['SPOTIFY']))).body.data.authAttempt).toMatchObject({ id: attemptId, status: 'PENDING' });
    expect((await gateway.gql(poll, undefined, site.token)).body.data.authAttempt).toMatchObject({ id: attemptId });
  });
});

// Function tokens and site-token management over real HTTP and a real database, with GitHub and
// Spotify connected through their local fakes: what a function token sees, when it stops working,
// what it may not do, and listing, revoking and rotating tokens.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from './support/fake-github.js';
import { startFakeSpotify, type FakeSpotify } from './support/fake-spotify.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { connectViaCallback as connectService } from './support/connect.js';

const ORIGIN = 'http://app.test:3000';
const MINT = `mutation ($input: CreateFunctionTokenInput) {
  createFunctionToken(input: $input) { token accessToken { id kind label prefix services expiresAt revokedAt lastUsedAt createdAt } }
}`;
const SECRETS = '{ secrets { github { isLoggedIn bearerToken } spotify { isLoggedIn bearerToken } loggedInServices { service } } }';
const ME = '{ me { serviceMetadata { loggedInServices { service isLoggedIn bearerToken } } } }';
const LIST = 'query ($all: Boolean) { accessTokens(includeRevoked: $all) { id kind label prefix services expiresAt revokedAt lastUsedAt createdAt } }';
const REVOKE = 'mutation ($id: ID!) { revokeAccessToken(id: $id) { id kind revokedAt } }';
const ROTATE = 'mutation ($id: ID) { rotateSiteToken(id: $id) { token accessToken { id kind prefix label } revoked { id kind revokedAt } } }';

let github: FakeGitHub;
let spotify: FakeSpotify;
let gateway: TestGateway;
let site: { siteId: string; token: string };
const minted: string[] = [];
const bodies: string[] = [];

async function gql(query: string, variables?: Record<string, unknown>, token = site.token) {
  const result = await gateway.gql(query, variables, token);
  bodies.push(JSON.stringify(result.body));
  return result;
}

async function mint(input?: Record<string, unknown>, token = site.token) {
  const result = await gql(MINT, input ? { input } : {}, token);
  expect(result.body.errors).toBeUndefined();
  const payload = result.body.data.createFunctionToken as { token: string; accessToken: Record<string, any> };
  minted.push(payload.token);
  return payload;
}

beforeAll(async () => {
  [github, spotify] = await Promise.all([startFakeGitHub(), startFakeSpotify()]);
  gateway = await startTestGateway({
    ...github.appEnv,
    ...spotify.appEnv,
  });
  site = await gateway.createSite('Tokens', [ORIGIN]);
  await connectService(gateway, site.token, 'GITHUB', `${ORIGIN}/done`);
  await connectService(gateway, site.token, 'SPOTIFY', `${ORIGIN}/done`);
});

afterAll(async () => {
  await gateway?.close();
  await Promise.all([github?.close(), spotify?.close()]);
});

describe('minting function tokens', () => {
  it('mints an expiring token limited to the chosen services', async () => {
    const before = Date.now();
    const { token, accessToken } = await mint({ services: ['GITHUB'], ttlSeconds: 120, label: 'deploy preview' });
    const after = Date.now();
    expect(token).toMatch(/^lkf_[A-Za-z0-9_-]{43}$/);
    expect(accessToken).toMatchObject({ kind: 'FUNCTION', label: 'deploy preview', services: ['GITHUB'], revokedAt: null, lastUsedAt: null });
    expect(token.startsWith(accessToken.prefix)).toBe(true);
    expect(accessToken.prefix.length).toBeLessThan(16);
    const expiresAt = new Date(accessToken.expiresAt).getTime();
    expect(expiresAt).toBeGreaterThanOrEqual(before + 120_000 - 1000);
    expect(expiresAt).toBeLessThanOrEqual(after + 120_000 + 1000);

    const stored = await gateway.gateway.db.siteToken.findUniqueOrThrow({ where: { id: accessToken.id } });
    expect(JSON.stringify(stored)).not.toContain(token.slice(4));
  });

  it('defaults to 15 minutes and every service', async () => {
    const before = Date.now();
    const { accessToken } = await mint();
    expect(accessToken.services).toBeNull();
    const ttl = new Date(accessToken.expiresAt).getTime() - before;
    expect(ttl).toBeGreaterThan(899_000 - 1000);
    expect(ttl).toBeLessThanOrEqual(900_000 + 1000);
  });

  it.each([
    [{ ttlSeconds: 0 }, 'ttlSeconds'],
    [{ ttlSeconds: 86_401 }, 'ttlSeconds'],
    [{ services: [] }, 'services'],
    [{ label: 'x'.repeat(201) }, 'label'],
  ])('refuses %j with BAD_USER_INPUT', async (input, field) => {
    const result = await gql(MINT, { input });
    expect(result.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
  });
});

describe('what a function token sees', () => {
  it('reads secrets and me of its services only', async () => {
    const { token } = await mint({ services: ['GITHUB'] });
    const secrets = await gql(SECRETS, undefined, token);
    expect(secrets.body.errors).toBeUndefined();
    expect(secrets.body.data.secrets.github).toEqual({ isLoggedIn: true, bearerToken: github.state.lastToken!.accessToken });
    expect(secrets.body.data.secrets.spotify).toEqual({ isLoggedIn: false, bearerToken: null });
    expect(secrets.body.data.secrets.loggedInServices).toEqual([{ service: 'GITHUB' }]);

    const me = await gql(ME, undefined, token);
    expect(me.body.data.me.serviceMetadata.loggedInServices).toEqual([
      { service: 'GITHUB', isLoggedIn: true, bearerToken: github.state.lastToken!.accessToken },
    ]);

    // The site token and an all-services function token see both.
    const all = await mint();
    for (const caller of [site.token, all.token]) {
      const both = await gql(SECRETS, undefined, caller);
      expect(both.body.data.secrets.spotify.isLoggedIn).toBe(true);
      expect(both.body.data.secrets.loggedInServices.map((s: { service: string }) => s.service).sort()).toEqual(['GITHUB', 'SPOTIFY']);
    }
  });

  it('reads the rest of what a site token reads (services, site, authAttempt)', async () => {
    const { token } = await mint({ services: ['SPOTIFY'] });
    const result = await gql('{ services { service } site { id name } }', undefined, token);
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data.site).toEqual({ id: site.siteId, name: 'Tokens' });
  });

  it.each([
    ['createFunctionToken', 'mutation { createFunctionToken { token } }'],
    ['revokeAccessToken', 'mutation { revokeAccessToken(id: "tok_x") { id } }'],
    ['rotateSiteToken', 'mutation { rotateSiteToken { token } }'],
    ['accessTokens', '{ accessTokens { id } }'],
    ['startAuth', `mutation { startAuth(input: { service: GITHUB, returnTo: "${ORIGIN}/done" }) { authorizationUrl } }`],
    ['finishAuth', 'mutation { finishAuth(input: { state: "s", code: "c" }) { isLoggedIn } }'],
    ['signOut', 'mutation { signOut(service: GITHUB) { isLoggedIn } }'],
    ['setServiceCredentials', 'mutation { setServiceCredentials(input: { service: GITHUB, clientId: "x" }) { clientId } }'],
    ['serviceCredentials', '{ serviceCredentials { clientId } }'],
  ])('may not call %s (FORBIDDEN)', async (_field, query) => {
    const { token } = await mint({ services: ['GITHUB'] });
    const attemptsBefore = await gateway.gateway.db.authAttempt.count();
    const tokensBefore = await gateway.gateway.db.siteToken.count({ where: { siteId: site.siteId, revokedAt: null } });
    const result = await gql(query, undefined, token);
    expect(result.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(result.body.errors?.[0]?.message).toContain('site token');
    expect(result.body.data ?? null).toBeNull();
    expect(await gateway.gateway.db.authAttempt.count()).toBe(attemptsBefore);
    expect(await gateway.gateway.db.siteToken.count({ where: { siteId: site.siteId, revokedAt: null } })).toBe(tokensBefore);
    // The connection it could have signed out of is still there.
    expect((await gql(SECRETS)).body.data.secrets.github.isLoggedIn).toBe(true);
  });
});

describe('when a function token stops working', () => {
  it('answers 401 UNAUTHENTICATED once it has expired', async () => {
    const { token, accessToken } = await mint({ services: ['GITHUB'] });
    await gateway.gateway.db.siteToken.update({ where: { id: accessToken.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    const result = await gateway.gql(SECRETS, undefined, token);
    expect(result.status).toBe(401);
    expect(result.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(result.body.errors?.[0]?.message).toContain('createFunctionToken');
    expect(result.body.data ?? null).toBeNull();
  });

  it('tells the holder of an expired connect session where a new one comes from', async () => {
    const created = await gql('mutation { createConnectSession(input: { endUser: "u-expiring", ttlSeconds: 1 }) { token } }');
    const token = created.body.data.createConnectSession.token as string;
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const result = await gateway.gql('{ connections { nodes { id } } }', undefined, token);
    expect(result.status).toBe(401);
    expect(result.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(result.body.errors?.[0]?.message).toMatch(/createConnectSession/);
    expect(result.body.errors?.[0]?.message).toMatch(/^This browser token \(lkc_\) has expired/);
  });

  it('answers 401 right after it is revoked through this instance, though its lookup was cached', async () => {
    const { token, accessToken } = await mint();
    expect((await gql(SECRETS, undefined, token)).status).toBe(200);
    const revoked = await gql(REVOKE, { id: accessToken.id });
    expect(revoked.body.data.revokeAccessToken).toMatchObject({ id: accessToken.id, kind: 'FUNCTION' });
    expect(revoked.body.data.revokeAccessToken.revokedAt).not.toBeNull();
    const result = await gateway.gql(SECRETS, undefined, token);
    expect(result.status).toBe(401);
    expect(result.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');

    // Revoking again changes nothing.
    const again = await gql(REVOKE, { id: accessToken.id });
    expect(again.body.data.revokeAccessToken.revokedAt).toBe(revoked.body.data.revokeAccessToken.revokedAt);
  });

  it('reuses a token lookup for LATCHKEY_TOKEN_CACHE_MS, so a revocation by another instance lands within it', async () => {
    const { token, accessToken } = await mint();
    expect((await gql(SECRETS, undefined, token)).status).toBe(200);
    // What another instance's revocation looks like to this one: the row changes underneath it.
    await gateway.gateway.db.siteToken.update({ where: { id: accessToken.id }, data: { revokedAt: new Date() } });
    // Served from the cache (default 2 s): no token query on the hot path.
    expect((await gateway.gql(SECRETS, undefined, token)).status).toBe(200);
    await vi.waitFor(async () => expect((await gateway.gql(SECRETS, undefined, token)).status).toBe(401), { timeout: 10_000, interval: 250 });
  });

  it('records lastUsedAt without the caller waiting for it', async () => {
    const { token, accessToken } = await mint({ services: ['GITHUB'] });
    await gql(SECRETS, undefined, token);
    await vi.waitFor(async () => {
      const row = await gateway.gateway.db.siteToken.findUniqueOrThrow({ where: { id: accessToken.id } });
      expect(row.lastUsedAt).not.toBeNull();
    });
    const first = (await gateway.gateway.db.siteToken.findUniqueOrThrow({ where: { id: accessToken.id } })).lastUsedAt!;
    await gql(SECRETS, undefined, token);
    await gql(SECRETS, undefined, token);
    // At most one write a minute per token.
    const later = (await gateway.gateway.db.siteToken.findUniqueOrThrow({ where: { id: accessToken.id } })).lastUsedAt!;
    expect(later.getTime()).toBe(first.getTime());
  });
});

describe('listing tokens', () => {
  it('lists the site tokens and live function tokens without their secret', async () => {
    const live = await mint({ services: ['SPOTIFY'], label: 'listed' });
    const gone = await mint({ label: 'revoked one' });
    await gql(REVOKE, { id: gone.accessToken.id });

    const result = await gql(LIST, {});
    expect(result.body.errors).toBeUndefined();
    const tokens = result.body.data.accessTokens as Array<Record<string, any>>;
    expect(tokens.find((token) => token.kind === 'SITE')).toMatchObject({ label: 'initial site token', services: null, expiresAt: null, revokedAt: null });
    expect(tokens.find((token) => token.id === live.accessToken.id)).toMatchObject({ kind: 'FUNCTION', label: 'listed', services: ['SPOTIFY'] });
    expect(tokens.some((token) => token.id === gone.accessToken.id)).toBe(false);
    expect(tokens.every((token) => token.revokedAt === null)).toBe(true);

    const all = (await gql(LIST, { all: true })).body.data.accessTokens as Array<Record<string, any>>;
    expect(all.find((token) => token.id === gone.accessToken.id)?.revokedAt).not.toBeNull();
    expect(all.length).toBeGreaterThan(tokens.length);

    const listed = JSON.stringify([result.body, all]);
    for (const secret of [site.token, ...minted]) {
      expect(listed).not.toContain(secret);
      expect(listed).not.toContain(secret.slice(12));
    }
  });
});

describe('site tokens: rotate and revoke', () => {
  it('rotates the calling token: the new one works, the old one answers 401', async () => {
    const other = await gateway.createSite('Rotating', [ORIGIN]);
    const [before] = (await gql(LIST, {}, other.token)).body.data.accessTokens;
    const rotated = await gql(ROTATE, {}, other.token);
    expect(rotated.body.errors).toBeUndefined();
    const payload = rotated.body.data.rotateSiteToken;
    expect(payload.token).toMatch(/^lks_[A-Za-z0-9_-]{43}$/);
    expect(payload.accessToken).toMatchObject({ kind: 'SITE', label: 'initial site token' });
    expect(payload.token.startsWith(payload.accessToken.prefix)).toBe(true);
    expect(payload.revoked).toMatchObject({ id: before.id, kind: 'SITE' });
    expect(payload.revoked.revokedAt).not.toBeNull();

    expect((await gateway.gql('{ site { id } }', undefined, payload.token)).body.data.site.id).toBe(other.siteId);
    const old = await gateway.gql('{ site { id } }', undefined, other.token);
    expect(old.status).toBe(401);
    expect(old.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');

    // A function token is not rotated.
    const fn = await mint({}, payload.token);
    const refused = await gql(ROTATE, { id: fn.accessToken.id }, payload.token);
    expect(refused.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
  });

  it('revokes a site token: it answers 401 from then on', async () => {
    const other = await gateway.createSite('Revoking', [ORIGIN]);
    const [own] = (await gql(LIST, {}, other.token)).body.data.accessTokens;
    const result = await gql(REVOKE, { id: own.id }, other.token);
    expect(result.body.data.revokeAccessToken).toMatchObject({ id: own.id, kind: 'SITE' });
    const after = await gateway.gql('{ site { id } }', undefined, other.token);
    expect(after.status).toBe(401);
    expect(after.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it("cannot revoke or rotate another site's token (NOT_FOUND)", async () => {
    const other = await gateway.createSite('Neighbour', [ORIGIN]);
    const victim = await mint({ services: ['GITHUB'] });
    const [victimSiteToken] = (await gql(LIST, {})).body.data.accessTokens.filter((token: { kind: string }) => token.kind === 'SITE');
    for (const query of [REVOKE, ROTATE]) {
      for (const id of [victim.accessToken.id, victimSiteToken.id]) {
        const result = await gql(query, { id }, other.token);
        expect(result.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      }
    }
    expect((await gql(SECRETS, undefined, victim.token)).body.data.secrets.github.isLoggedIn).toBe(true);
    expect((await gql(SECRETS)).status).toBe(200);
    const neighbours = (await gql(LIST, {}, other.token)).body.data.accessTokens as Array<{ id: string }>;
    expect(neighbours.some((token) => token.id === victim.accessToken.id)).toBe(false);
  });
});

describe('secrets never leak', () => {
  it('keeps site and function tokens out of the logs', () => {
    const logText = gateway.logs.join('\n');
    expect(gateway.logs.length).toBeGreaterThan(5);
    expect(minted.length).toBeGreaterThan(10);
    for (const secret of [site.token, ...minted]) expect(logText).not.toContain(secret.slice(4));
  });
});

// Browser binding over real HTTP: a gateway-callback attempt completes only in the browser that
// opened its authorizationUrl (the gateway's /oauth/start launch, which sets a binding cookie).
// Box is used because it has no PKCE, so nothing but the binding stops a code from one attempt
// being injected into another's callback.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endpointEnvName, providerList } from '../src/providers/index.js';
import { specFromProvider, startFakeProviderServer, type FakeProviderServer } from './support/fake-provider.js';
import { CookieJar, followRedirects, startTestGateway, type TestGateway } from './support/gateway.js';

const ORIGIN = 'http://app.test:3000';
const box = providerList.find((provider) => provider.service === 'BOX')!;
const START = 'mutation ($input: StartAuthInput!) { startAuth(input: $input) { authorizationUrl attemptId } }';

let fake: FakeProviderServer;
let gateway: TestGateway;
let siteA: { siteId: string; token: string };
let siteB: { siteId: string; token: string };

beforeAll(async () => {
  expect(box.pkce).toBe(false);
  fake = await startFakeProviderServer();
  const app = { clientId: 'client-box', clientSecret: `secret-${randomBytes(12).toString('hex')}` };
  const handle = fake.add('box', specFromProvider(box, app, `${fake.url}/p/box`));
  gateway = await startTestGateway({
    LATCHKEY_BOX_CLIENT_ID: app.clientId,
    LATCHKEY_BOX_CLIENT_SECRET: app.clientSecret,
    [endpointEnvName('BOX', 'authorization')]: handle.authorizationUrl,
    [endpointEnvName('BOX', 'token')]: handle.tokenUrl,
    [endpointEnvName('BOX', 'api')]: handle.apiUrl,
    ...(box.revocation ? { [endpointEnvName('BOX', 'revocation')]: handle.revocationUrl } : {}),
  });
  siteA = await gateway.createSite('A', [ORIGIN]);
  siteB = await gateway.createSite('B', [ORIGIN]);
}, 60_000);

afterAll(async () => {
  await gateway?.close();
  await fake?.close();
});

async function startAuth(token: string, input: Record<string, unknown> = { returnTo: `${ORIGIN}/done` }) {
  const started = await gateway.gql(START, { input: { service: 'BOX', ...input } }, token);
  expect(started.body.errors, JSON.stringify(started.body.errors)).toBeUndefined();
  return started.body.data.startAuth as { authorizationUrl: string; attemptId: string };
}

/** A browser opens the authorizationUrl and consents; returns the callback URL and its cookie jar. */
async function consent(authorizationUrl: string, jar = new CookieJar()) {
  return followRedirects(authorizationUrl, (url) => url.pathname.startsWith('/oauth/callback/'), 10, jar);
}

async function callback(url: URL, cookie: string) {
  const response = await fetch(url, { redirect: 'manual', headers: cookie ? { cookie } : {} });
  await response.body?.cancel();
  return { response, back: new URL(response.headers.get('location') ?? 'about:blank') };
}

const connections = (siteId: string) => gateway.gateway.db.connection.count({ where: { siteId, service: 'BOX' } });
const attempt = (id: string) => gateway.gateway.db.authAttempt.findUniqueOrThrow({ where: { id } });

describe('startAuth for the gateway callback', () => {
  it('hands out the gateway launch URL, never the provider URL or its state', async () => {
    const { authorizationUrl, attemptId } = await startAuth(siteA.token);
    const url = new URL(authorizationUrl);
    expect(url.origin).toBe(new URL(gateway.url).origin);
    expect(url.pathname).toBe(`/oauth/start/${attemptId}`);
    expect([...url.searchParams.keys()]).toEqual(['k']);
    const row = await attempt(attemptId);
    expect(row.launchKeyHash).toMatch(/^[0-9a-f]{64}$/);
    expect(row.providerUrl).not.toContain('http');
    expect(row.bindingHash).toBeNull();
  });

  it('keeps answering the provider URL for an app-handled redirectUri', async () => {
    const { authorizationUrl, attemptId } = await startAuth(siteA.token, { redirectUri: `${ORIGIN}/oauth/box` });
    expect(new URL(authorizationUrl).origin).toBe(fake.url);
    expect((await attempt(attemptId)).launchKeyHash).toBeNull();
  });
});

describe('the launch', () => {
  it('sets an HttpOnly, SameSite=Lax binding cookie scoped to /oauth and redirects with no-store', async () => {
    const { authorizationUrl, attemptId } = await startAuth(siteA.token);
    const response = await fetch(authorizationUrl, { redirect: 'manual' });
    expect(response.status).toBe(302);
    expect(new URL(response.headers.get('location')!).origin).toBe(fake.url);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    const [cookie] = response.headers.getSetCookie();
    expect(cookie).toMatch(new RegExp(`^latchkey_binding_${attemptId}=[A-Za-z0-9_-]{43};`));
    const attributes = cookie!.split(';').map((part) => part.trim());
    expect(attributes).toContain('HttpOnly');
    expect(attributes).toContain('SameSite=Lax');
    expect(attributes).toContain('Path=/oauth');
    const maxAge = Number(attributes.find((part) => part.startsWith('Max-Age='))!.slice('Max-Age='.length));
    expect(maxAge).toBeGreaterThan(0);
    expect(maxAge).toBeLessThanOrEqual(gateway.gateway.services.config.authAttemptTtlSeconds);
    expect(attributes).not.toContain('Secure'); // the test gateway's public URL is http
    expect((await attempt(attemptId)).bindingHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses a wrong key, a missing key and an unknown attempt, binding nothing', async () => {
    const { authorizationUrl, attemptId } = await startAuth(siteA.token);
    const wrong = new URL(authorizationUrl);
    wrong.searchParams.set('k', randomBytes(32).toString('base64url'));
    const noKey = new URL(authorizationUrl);
    noKey.search = '';
    const unknown = new URL(authorizationUrl);
    unknown.pathname = '/oauth/start/att_unknown';
    for (const url of [wrong, noKey, unknown]) {
      const response = await fetch(url, { redirect: 'manual' });
      expect(response.status).toBe(400);
      expect(response.headers.get('location')).toBeNull();
      expect(response.headers.getSetCookie()).toEqual([]);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(await response.text()).toContain('AUTH_STATE_INVALID');
    }
    expect((await attempt(attemptId)).bindingHash).toBeNull();
  });

  it('refuses an expired attempt', async () => {
    const { authorizationUrl, attemptId } = await startAuth(siteA.token);
    await gateway.gateway.db.authAttempt.update({ where: { id: attemptId }, data: { expiresAt: new Date(Date.now() - 1000) } });
    const response = await fetch(authorizationUrl, { redirect: 'manual' });
    expect(response.status).toBe(400);
    expect(response.headers.getSetCookie()).toEqual([]);
  });

  it('lets the bound browser open it again but refuses a second browser', async () => {
    const { authorizationUrl } = await startAuth(siteA.token);
    const jar = new CookieJar();
    const first = await fetch(authorizationUrl, { redirect: 'manual' });
    jar.store(new URL(authorizationUrl), first);
    const again = await fetch(authorizationUrl, { redirect: 'manual', headers: { cookie: jar.header(new URL(authorizationUrl)) } });
    expect(again.status).toBe(302);
    const other = await fetch(authorizationUrl, { redirect: 'manual' });
    expect(other.status).toBe(400);
  });
});

describe('the callback', () => {
  it('completes in the browser that kept the cookie, and clears it', async () => {
    const before = await connections(siteA.siteId);
    const { authorizationUrl, attemptId } = await startAuth(siteA.token);
    const { final, cookie } = await consent(authorizationUrl);
    expect(cookie).toContain(`latchkey_binding_${attemptId}=`);
    const { response, back } = await callback(final, cookie);
    expect(back.searchParams.get('latchkey_status')).toBe('success');
    expect(response.headers.getSetCookie().join('\n')).toContain(`latchkey_binding_${attemptId}=; HttpOnly; SameSite=Lax; Path=/oauth; Max-Age=0`);
    expect(await connections(siteA.siteId)).toBe(Math.max(before, 1));
    expect((await attempt(attemptId)).status).toBe('COMPLETED');
  });

  it('refuses the callback URL replayed from another cookie jar, stores nothing, and lets the rightful browser finish', async () => {
    await gateway.gateway.db.connection.deleteMany({ where: { siteId: siteB.siteId } });
    const { authorizationUrl, attemptId } = await startAuth(siteB.token);
    const { final, cookie } = await consent(authorizationUrl);
    for (const otherJar of ['', 'latchkey_binding_x=1', `latchkey_binding_${attemptId}=${randomBytes(32).toString('base64url')}`]) {
      const { response, back } = await callback(final, otherJar);
      expect(back.searchParams.get('latchkey_status')).toBe('error');
      expect(back.searchParams.get('error')).toBe('AUTH_STATE_INVALID');
      expect(response.headers.getSetCookie()).toEqual([]);
    }
    expect(await connections(siteB.siteId)).toBe(0);
    const row = await attempt(attemptId);
    expect(row.status).toBe('PENDING');
    expect(row.usedAt).toBeNull();
    const { back } = await callback(final, cookie);
    expect(back.searchParams.get('latchkey_status')).toBe('success');
    expect(await connections(siteB.siteId)).toBe(1);
  });

  it("refuses site A's code injected with site B's state from a browser not bound to B (no PKCE)", async () => {
    await gateway.gateway.db.connection.deleteMany({ where: { siteId: siteB.siteId } });
    // The attacker connects their own Box account through site A and keeps A's code unused.
    const attacker = await consent((await startAuth(siteA.token)).authorizationUrl);
    const attackerCode = attacker.final.searchParams.get('code')!;
    // The victim's attempt at site B, whose state the attacker has learned.
    const victim = await consent((await startAuth(siteB.token)).authorizationUrl);
    const injected = new URL(victim.final);
    injected.searchParams.set('code', attackerCode);
    // The same callback path serves both sites (a catalog service): only the binding tells them apart.
    expect(injected.pathname).toBe(attacker.final.pathname);
    const { back } = await callback(injected, attacker.cookie);
    expect(back.searchParams.get('error')).toBe('AUTH_STATE_INVALID');
    expect(await connections(siteB.siteId)).toBe(0);
    // The victim's own browser still completes with its own code.
    expect((await callback(victim.final, victim.cookie)).back.searchParams.get('latchkey_status')).toBe('success');
    expect(await connections(siteB.siteId)).toBe(1);
  });
});

// The people-facing routes over real HTTP and a real database: the connect page's files and their
// headers, short-lived connect links (GraphQL and `latchkey connect-link` as a real process), the
// gateway's own origin as a returnTo, function tokens minted with canConnect, and GraphiQL served
// from local files.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from './support/fake-github.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { connectViaCallback as connectService } from './support/connect.js';

const ORIGIN = 'http://app.test:3000';
const STRICT_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
const LINK = 'mutation ($ttl: Int) { createConnectLink(ttlSeconds: $ttl) { url expiresAt accessToken { id kind label expiresAt } } }';
const MINT = 'mutation ($input: CreateFunctionTokenInput) { createFunctionToken(input: $input) { token accessToken { id kind canConnect services } } }';
const START = 'mutation ($input: StartAuthInput!) { startAuth(input: $input) { authorizationUrl attemptId } }';
const SIGN_OUT = 'mutation ($service: Service!) { signOut(service: $service) { service isLoggedIn } }';

const bin = fileURLToPath(new URL('../bin/latchkey.js', import.meta.url));
const folder = mkdtempSync(join(tmpdir(), 'latchkey-connect-link-'));

let github: FakeGitHub;
let gateway: TestGateway;
let site: { siteId: string; token: string };
const bodies: string[] = [];

async function gql(query: string, variables?: Record<string, unknown>, token = site.token) {
  const result = await gateway.gql(query, variables, token);
  bodies.push(JSON.stringify(result.body));
  return result;
}

function tokenOf(url: string): string {
  return new URLSearchParams(new URL(url).hash.slice(1)).get('token')!;
}

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: folder, env: { PATH: process.env.PATH ?? '', HOME: folder, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  github = await startFakeGitHub();
  gateway = await startTestGateway({
    ...github.appEnv,
  });
  site = await gateway.createSite('Connect page', [ORIGIN]);
});

afterAll(async () => {
  await gateway?.close();
  await github?.close();
  rmSync(folder, { recursive: true, force: true });
});

describe('connect page files', () => {
  it('serves the page with a strict CSP, no framing and no third-party resource', async () => {
    const response = await fetch(`${gateway.url}/connect`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toBe(STRICT_CSP);
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('cache-control')).toBe('no-store');
    const html = await response.text();
    const references = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]);
    expect(references.sort()).toEqual(['#main', '/connect/app.css', '/connect/app.js', 'data:,']);
    expect(html).toMatch(/<label for="token-input">/);
    expect(html).toMatch(/role="status" aria-live="polite"/);
  });

  it.each([
    ['/connect/app.js', 'text/javascript; charset=utf-8'],
    ['/connect/app.css', 'text/css; charset=utf-8'],
  ])('serves %s', async (path, type) => {
    const response = await fetch(`${gateway.url}${path}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(type);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await response.text()).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
  });

  it("lists the site's custom services too, and never asks for a token itself", async () => {
    const script = await (await fetch(`${gateway.url}/connect/app.js`)).text();
    expect(script).toMatch(/customServices \{\s*slug serviceKey friendlyServiceName/);
    expect(script).toContain('signOutCustomService(slug: $slug)');
    expect(script).toContain('customService: entry.slug');
    expect(script).not.toMatch(/bearerToken|accessToken|refreshToken/);
  });

  it('serves the browser helper to other origins as a module script', async () => {
    const response = await fetch(`${gateway.url}/latchkey-auth.js`, { headers: { origin: ORIGIN } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(['*', ORIGIN]).toContain(response.headers.get('access-control-allow-origin'));
    expect(await response.text()).toContain('export class LatchkeyAuth');
  });

  it('answers other methods with 405', async () => {
    const response = await fetch(`${gateway.url}/connect`, { method: 'POST', body: 'x' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD');
  });
});

describe("the gateway's own origin as a returnTo", () => {
  it('accepts the connect page as returnTo although the site does not list the gateway', async () => {
    const result = await gql(START, { input: { service: 'GITHUB', returnTo: `${gateway.publicUrl}/connect` } });
    expect(result.body.errors).toBeUndefined();
    const attempt = await gateway.gateway.db.authAttempt.findUniqueOrThrow({ where: { id: result.body.data.startAuth.attemptId } });
    expect(attempt.returnTo).toBe(`${gateway.publicUrl}/connect`);
  });

  it('never accepts it as a redirectUri, where the code would land', async () => {
    const result = await gql(START, { input: { service: 'GITHUB', redirectUri: `${gateway.publicUrl}/connect` } });
    expect(result.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'redirectUri' });
  });

  it('still refuses another port of the same host', async () => {
    const other = new URL(gateway.publicUrl);
    other.port = String(Number(other.port) + 1);
    const result = await gql(START, { input: { service: 'GITHUB', returnTo: `${other.origin}/connect` } });
    expect(result.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'returnTo' });
  });
});

describe('connect links', () => {
  it('mints a link whose fragment token may connect and disconnect services until it expires', async () => {
    const before = Date.now();
    const result = await gql(LINK, { ttl: 600 });
    expect(result.body.errors).toBeUndefined();
    const link = result.body.data.createConnectLink;
    const url = new URL(link.url);
    expect(`${url.origin}${url.pathname}`).toBe(`${gateway.publicUrl}/connect`);
    expect(url.search).toBe('');
    const token = tokenOf(link.url);
    expect(token).toMatch(/^lkc_[A-Za-z0-9_-]{43}$/);
    expect(token).not.toBe(site.token);
    const expiresAt = new Date(link.expiresAt).getTime();
    expect(expiresAt).toBeGreaterThanOrEqual(before + 600_000 - 1000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 600_000);
    expect(link.accessToken).toMatchObject({ kind: 'FUNCTION', label: 'connect link', expiresAt: link.expiresAt });

    const page = await gql('{ site { id } services { service appConfigured } secrets { github { isLoggedIn storedScopes } } }', undefined, token);
    expect(page.body.errors).toBeUndefined();
    expect(page.body.data.site.id).toBe(site.siteId);
    expect(page.body.data.services.find((entry: { service: string }) => entry.service === 'GITHUB').appConfigured).toBe(true);
    expect(page.body.data.services.find((entry: { service: string }) => entry.service === 'SPOTIFY').appConfigured).toBe(false);
    const started = await gql(START, { input: { service: 'GITHUB', returnTo: `${gateway.publicUrl}/connect` } }, token);
    expect(started.body.errors).toBeUndefined();
    expect((await gql(SIGN_OUT, { service: 'SPOTIFY' }, token)).body.errors).toBeUndefined();

    // A link that reached its expiry (moved into the past before first use: tokens are cached once seen).
    const other = (await gql(LINK, { ttl: 60 })).body.data.createConnectLink;
    await gateway.gateway.db.siteToken.update({ where: { id: other.accessToken.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    const expired = await gateway.gql('{ site { id } }', undefined, tokenOf(other.url));
    expect(expired.status).toBe(401);
    expect(expired.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('gives a leaked link no power over tokens or OAuth apps', async () => {
    const token = tokenOf((await gql(LINK, {})).body.data.createConnectLink.url);
    const siteTokenId = (await gql('{ accessTokens { id label } }')).body.data.accessTokens.find((row: { label: string }) => row.label === 'initial site token').id;
    for (const [query, variables] of [
      ['mutation ($id: ID) { rotateSiteToken(id: $id) { token } }', { id: siteTokenId }],
      ['mutation ($id: ID!) { revokeAccessToken(id: $id) { id } }', { id: siteTokenId }],
      ['mutation { createFunctionToken { token } }', {}],
      [LINK, {}],
      ['{ accessTokens { id } }', {}],
      ['mutation { setServiceCredentials(input: { service: GITHUB, clientId: "evil" }) { clientId } }', {}],
      ['mutation { finishAuth(input: { state: "x", code: "y" }) { isLoggedIn } }', {}],
    ] as const) {
      const result = await gql(query, variables, token);
      expect(result.body.errors?.[0]?.extensions?.code, query).toBe('FORBIDDEN');
    }
    expect((await gql('{ site { id } }')).body.data.site.id).toBe(site.siteId);
  });

  it('never hands a leaked link a provider token, nor lets it call the provider', async () => {
    await connectService(gateway, site.token, 'GITHUB', `${ORIGIN}/done`);
    const token = tokenOf((await gql(LINK, {})).body.data.createConnectLink.url);
    const state = await gql('{ secrets { github { isLoggedIn bearerToken } } me { serviceMetadata { loggedInServices { bearerToken } } } }', undefined, token);
    expect(state.body.data.secrets.github).toEqual({ isLoggedIn: true, bearerToken: null });
    expect(state.body.errors?.map((error) => error.extensions?.code)).toEqual(['FORBIDDEN', 'FORBIDDEN']);
    expect(JSON.stringify(state.body)).not.toMatch(/gh[ou]_/);
    const passThrough = await gql('{ github { viewer { login } } }', undefined, token);
    expect(passThrough.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    // The site token still reads it.
    expect((await gql('{ secrets { github { bearerToken } } }')).body.data.secrets.github.bearerToken).toMatch(/^gh[ou]_/);
  });

  it('defaults to 15 minutes and never outlives the token that made it', async () => {
    const first = (await gql(LINK, {})).body.data.createConnectLink;
    const lifetime = new Date(first.expiresAt).getTime() - Date.now();
    expect(lifetime).toBeGreaterThan(890_000);
    expect(lifetime).toBeLessThanOrEqual(900_000);

    const siteTokenRow = await gateway.gateway.db.siteToken.findFirstOrThrow({ where: { siteId: site.siteId, label: 'initial site token' } });
    const issuerExpiry = new Date(Date.now() + 120_000);
    await gateway.gateway.db.siteToken.update({ where: { id: siteTokenRow.id }, data: { expiresAt: issuerExpiry } });
    try {
      const bounded = (await gql(LINK, { ttl: 86_400 })).body.data.createConnectLink;
      expect(new Date(bounded.expiresAt).getTime()).toBe(issuerExpiry.getTime());
    } finally {
      await gateway.gateway.db.siteToken.update({ where: { id: siteTokenRow.id }, data: { expiresAt: null } });
    }
  });

  it('can be revoked early', async () => {
    const link = (await gql(LINK, {})).body.data.createConnectLink;
    const revoked = await gql('mutation ($id: ID!) { revokeAccessToken(id: $id) { revokedAt } }', { id: link.accessToken.id });
    expect(revoked.body.data.revokeAccessToken.revokedAt).toBeTruthy();
    expect((await gateway.gql('{ site { id } }', undefined, tokenOf(link.url))).status).toBe(401);
  });

  it.each([59, 86_401, 0])('refuses ttlSeconds %i', async (ttl) => {
    const result = await gql(LINK, { ttl });
    expect(result.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'ttlSeconds' });
  });

  it('is for the site owner only', async () => {
    const minted = (await gql(MINT, { input: { services: ['GITHUB'] } })).body.data.createFunctionToken;
    const result = await gql(LINK, {}, minted.token);
    expect(result.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const anonymous = await gateway.gql(LINK, {});
    expect(anonymous.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('latchkey connect-link', () => {
  it('prints a link to the connect page, never the site token', async () => {
    const result = await run(['connect-link', '--ttl', '300', '--gateway', gateway.url], { LATCHKEY_SITE_TOKEN: site.token });
    expect(result.stderr).toContain('Open this link in a browser');
    expect(result.code).toBe(0);
    const printed = result.stdout.trim();
    expect(printed).toMatch(new RegExp(`^${gateway.publicUrl.replace(/[.]/g, '\\.')}/connect#token=lkc_[A-Za-z0-9_-]{43}$`));
    expect(result.stdout + result.stderr).not.toContain(site.token);
    const linkToken = tokenOf(printed);
    const rows = await gateway.gateway.db.siteToken.findMany({ where: { siteId: site.siteId, label: 'connect link', revokedAt: null } });
    const lifetimes = rows.map((row) => row.expiresAt!.getTime() - row.createdAt.getTime());
    expect(lifetimes.some((ms) => Math.abs(ms - 300_000) < 2000)).toBe(true);
    expect((await gql('{ site { name } }', undefined, linkToken)).body.data.site.name).toBe('Connect page');
  });

  it('says what is missing without a site token', async () => {
    const result = await run(['connect-link', '--gateway', gateway.url], {});
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('LATCHKEY_SITE_TOKEN');
    expect(result.stdout).toBe('');
  });

  it('reports the gateway refusing the token or the ttl', async () => {
    const unknown = await run(['connect-link', '--gateway', gateway.url], { LATCHKEY_SITE_TOKEN: 'lks_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('UNAUTHENTICATED');
    const tooShort = await run(['connect-link', '--ttl', '5', '--gateway', gateway.url], { LATCHKEY_SITE_TOKEN: site.token });
    expect(tooShort.code).toBe(1);
    expect(tooShort.stderr).toContain('BAD_USER_INPUT');
  });
});

describe('function tokens minted with canConnect', () => {
  it('may start auth and sign out for their own services only', async () => {
    const minted = (await gql(MINT, { input: { services: ['GITHUB'], canConnect: true } })).body.data.createFunctionToken;
    expect(minted.token).toMatch(/^lkc_[A-Za-z0-9_-]{43}$/);
    expect(minted.accessToken).toMatchObject({ kind: 'FUNCTION', canConnect: true, services: ['GITHUB'] });

    const started = await gql(START, { input: { service: 'GITHUB' } }, minted.token);
    expect(started.body.errors).toBeUndefined();
    const other = await gql(START, { input: { service: 'SPOTIFY' } }, minted.token);
    expect(other.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(other.body.errors?.[0]?.message).toContain('connect or disconnect');

    await connectService(gateway, site.token, 'GITHUB', `${ORIGIN}/done`);
    const signedOut = await gql(SIGN_OUT, { service: 'GITHUB' }, minted.token);
    expect(signedOut.body.data.signOut).toEqual({ service: 'GITHUB', isLoggedIn: false });
    expect((await gql(SIGN_OUT, { service: 'SPOTIFY' }, minted.token)).body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('gain no other owner power', async () => {
    const minted = (await gql(MINT, { input: { canConnect: true } })).body.data.createFunctionToken;
    for (const query of [
      'mutation { createFunctionToken { token } }',
      'mutation { createConnectLink { url } }',
      'mutation { finishAuth(input: { state: "x", code: "y" }) { isLoggedIn } }',
      '{ accessTokens { id } }',
    ]) {
      const result = await gql(query, undefined, minted.token);
      expect(result.body.errors?.[0]?.extensions?.code, query).toBe('FORBIDDEN');
    }
  });

  it('are not what a plain function token is', async () => {
    const minted = (await gql(MINT, { input: { services: ['GITHUB'] } })).body.data.createFunctionToken;
    expect(minted.token).toMatch(/^lkf_/);
    expect(minted.accessToken.canConnect).toBe(false);
    expect((await gql(START, { input: { service: 'GITHUB' } }, minted.token)).body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await gql(SIGN_OUT, { service: 'GITHUB' }, minted.token)).body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});

describe('GraphiQL from local files', () => {
  it('serves the page under a CSP that allows only the gateway itself', async () => {
    const response = await fetch(`${gateway.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    const html = await response.text();
    expect(html).not.toMatch(/https?:\/\//);
    const options = JSON.parse(/<script id="graphiql-options" type="application\/json">(.*?)<\/script>/s.exec(html)![1]!);
    expect(JSON.parse(options.headers)).toEqual({ Authorization: 'Bearer YOUR_SITE_OR_FUNCTION_TOKEN' });
    // The example operations of client/operations are the default tabs.
    const files = readdirSync(new URL('../client/operations/', import.meta.url)).filter((file) => file.endsWith('.graphql')).sort();
    expect(files.length).toBeGreaterThanOrEqual(3);
    expect(options.defaultTabs.map((tab: { query: string }) => tab.query.split('\n')[0])).toEqual(
      files.map((file) => `# Example operations from client/operations/${file}`),
    );
    const secretsTab = options.defaultTabs.find((tab: { query: string }) => tab.query.includes('secrets.graphql'));
    expect(secretsTab.query).toContain('query FindLoggedInServicesQuery');
    expect(secretsTab.headers).toBe(options.headers);
  });

  it.each(['graphiql.js', 'graphiql.css', 'start.js', 'workers/graphql.js', 'workers/json.js', 'workers/editorWorkerService.js'])(
    'serves %s compressed and cacheable',
    async (asset) => {
      const response = await fetch(`${gateway.url}/graphiql/${asset}`, { headers: { 'accept-encoding': 'gzip' } });
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toContain('max-age');
      expect((await response.arrayBuffer()).byteLength).toBeGreaterThan(100);
      const etag = response.headers.get('etag')!;
      const again = await fetch(`${gateway.url}/graphiql/${asset}`, { headers: { 'if-none-match': etag } });
      expect(again.status).toBe(304);
    },
  );
});

describe('secrets never leak', () => {
  it('keeps tokens out of the logs and of non-token response fields', async () => {
    const logText = gateway.logs.join('\n');
    expect(logText).not.toContain(site.token);
    expect(logText).not.toMatch(/lk[sfc]_[A-Za-z0-9_-]{43}/);
    const responses = bodies.join('\n').replace(/"(token|url|bearerToken)":"[^"]*"/g, '');
    expect(responses).not.toMatch(/lk[sfc]_[A-Za-z0-9_-]{43}/);
    for (const issued of github.state.issuedTokens) expect(responses).not.toContain(issued.accessToken);
  });
});

// @latchkey/auth in a real browser (Debian's Chromium, popup blocker on): a site on its own origin
// loads the helper from the gateway, with a function token its backend minted (canConnect), and logs
// in to GitHub in a popup against the GitHub fake. Also denial, a closed popup, a timeout, a blocked
// popup, a forged message, logout, and what the page may and may not see.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { getSecrets } from '../packages/latchkey-functions/index.js';
import { LatchkeyAuth } from '../packages/latchkey-auth/latchkey-auth.js';
import { startFakeGitHub, type FakeGitHub } from './support/fake-github.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { launchBrowser, listenOnLoopback, nonLoopback, pageResult, recordTraffic, screenshot } from './support/browser.js';
import { defineForgeService } from './support/custom-services.js';

let github: FakeGitHub;
let gateway: TestGateway;
let site: { siteId: string; token: string };
let siteServer: Server;
let siteOrigin: string;
/** A provider consent page that never answers: the person just sits there. */
let slowProvider: Server;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let traffic: ReturnType<typeof recordTraffic>;
const bodiesSeenByPage: string[] = [];
const mintedForPages: string[] = [];

/** The site's backend: mints a connect-capable function token with its site token, per page view. */
async function mintForPage(): Promise<string> {
  const result = await gateway.gql(
    'mutation { createFunctionToken(input: { services: [GITHUB, SPOTIFY], customServices: ["forge"], canConnect: true, ttlSeconds: 600, label: "browser" }) { token } }',
    {},
    site.token,
  );
  const token: string = result.body.data.createFunctionToken.token;
  mintedForPages.push(token);
  return token;
}

function sitePage(gatewayUrl: string, functionToken: string, auto: string | null): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Example site</title>
<style>body { font: 16px system-ui, sans-serif; margin: 2rem; } button { margin: 0 0.5rem 0.5rem 0; padding: 0.5rem 1rem; } pre { background: #f4f4f4; padding: 1rem; white-space: pre-wrap; }</style>
</head>
<body>
<h1>Example site</h1>
<p>Uses <code>@latchkey/auth</code> from the gateway.</p>
<button id="login-github">Connect GitHub</button>
<button id="login-spotify">Connect Spotify</button>
<button id="login-spotify-quick">Connect Spotify (1.5 s timeout)</button>
<button id="status">Status</button>
<button id="logout-github">Disconnect GitHub</button>
<button id="login-forge">Connect Forge</button>
<button id="logout-forge">Disconnect Forge</button>
<pre id="result" aria-live="polite">(nothing yet)</pre>
<script type="module">
import { LatchkeyAuth } from ${JSON.stringify(`${gatewayUrl}/latchkey-auth.js`)};
const auth = new LatchkeyAuth({ gatewayUrl: ${JSON.stringify(gatewayUrl)}, token: ${JSON.stringify(functionToken)} });
const result = document.getElementById('result');
function show(promise) {
  result.textContent = 'pending';
  promise.then(
    (value) => { result.textContent = JSON.stringify({ ok: true, value }); },
    (error) => { result.textContent = JSON.stringify({ ok: false, code: error.code, name: error.name, message: error.message }); },
  );
}
window.latchkey = auth;
document.getElementById('login-github').addEventListener('click', () => show(auth.login('github', { scopes: ['repo'] })));
document.getElementById('login-spotify').addEventListener('click', () => show(auth.login('spotify')));
document.getElementById('login-spotify-quick').addEventListener('click', () => show(auth.login('spotify', { timeoutMs: 1500 })));
document.getElementById('status').addEventListener('click', () => show(auth.servicesStatus()));
document.getElementById('logout-github').addEventListener('click', () => show(auth.logout('github').then(() => auth.isLoggedIn('github'))));
document.getElementById('login-forge').addEventListener('click', () => show(auth.login('custom:forge')));
document.getElementById('logout-forge').addEventListener('click', () => show(auth.logout('custom:forge').then(() => auth.isLoggedIn('custom:forge'))));
${auto ? `show(auth.login(${JSON.stringify(auto)}));` : ''}
</script>
</body>
</html>`;
}

const result = () => pageResult(page);

async function openSite(query = ''): Promise<void> {
  page = await context.newPage();
  await page.goto(`${siteOrigin}/${query}`);
  await page.waitForFunction(() => 'latchkey' in window);
}

beforeAll(async () => {
  github = await startFakeGitHub();
  slowProvider = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<h1>Spotify</h1><p>Waiting for you to decide…</p>'));
  const slowUrl = await listenOnLoopback(slowProvider);
  siteServer = createServer((req, res) => {
    const url = new URL(req.url ?? '/', siteOrigin);
    if (url.pathname !== '/') return void res.writeHead(404).end();
    mintForPage().then(
      (token) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(sitePage(gateway.url, token, url.searchParams.get('auto'))),
      () => res.writeHead(500).end(),
    );
  });
  siteOrigin = await listenOnLoopback(siteServer);
  gateway = await startTestGateway({
    ...github.appEnv,
    LATCHKEY_SPOTIFY_CLIENT_ID: 'spotify-client',
    LATCHKEY_SPOTIFY_CLIENT_SECRET: 'spotify-secret',
    LATCHKEY_SPOTIFY_AUTHORIZATION_URL: `${slowUrl}/authorize`,
    // "Forge", a service the site defines itself, is the same GitHub stand-in on loopback.
    LATCHKEY_CUSTOM_SERVICE_ALLOW_LOOPBACK: 'true',
  });
  site = await gateway.createSite('Popup site', [siteOrigin]);
  const defined = await defineForgeService(gateway, site.token, github);
  if (defined.body.errors) throw new Error(JSON.stringify(defined.body.errors));
  browser = await launchBrowser({ popupBlocking: true });
  context = await browser.newContext({ viewport: { width: 900, height: 640 } });
  traffic = recordTraffic(context);
  context.on('response', (response) => {
    if (response.url().startsWith(`${gateway.url}/graphql`)) {
      response.text().then(
        (text) => bodiesSeenByPage.push(text),
        () => {},
      );
    }
  });
});

afterAll(async () => {
  await browser?.close();
  await gateway?.close();
  await github?.close();
  await Promise.all([siteServer, slowProvider].map((server) => new Promise((resolve) => server?.close(resolve))));
});

describe('login() in a popup', () => {
  it('connects GitHub from a click, with the popup blocker on', async () => {
    await openSite();
    const popup = context.waitForEvent('page');
    await page.getByRole('button', { name: 'Connect GitHub', exact: true }).click();
    const opened = await popup;
    const outcome = await result();
    expect(outcome).toMatchObject({ ok: true, value: { service: 'GITHUB', attemptId: expect.stringMatching(/^att_/) } });
    // The gateway's success page closes the popup itself.
    await expect.poll(() => opened.isClosed(), { timeout: 5000 }).toBe(true);
    await screenshot(page, 'auth-helper-logged-in');

    // The page's own token sees the connection but never the provider token...
    const forPage = await getSecrets({ url: gateway.url, token: mintedForPages.at(-1)! });
    expect(forPage.github).toMatchObject({ isLoggedIn: true, bearerToken: null, grantedScopes: ['repo'] });
    // ...which a function, with a function token from the same backend, reads.
    const minted = await gateway.gql('mutation { createFunctionToken(input: { services: [GITHUB] }) { token } }', undefined, site.token);
    const secrets = await getSecrets({ url: gateway.url, token: minted.body.data.createFunctionToken.token });
    expect(secrets.github).toMatchObject({ isLoggedIn: true, bearerToken: github.state.lastToken!.accessToken, grantedScopes: ['repo'] });
  });

  it('reports the state without any token', async () => {
    await page.getByRole('button', { name: 'Status' }).click();
    const outcome = await result();
    expect(outcome.ok).toBe(true);
    expect(outcome.value.github).toMatchObject({ service: 'GITHUB', isLoggedIn: true, grantedScopes: ['repo'], foreignUserId: String(github.state.user.id) });
    expect(outcome.value.spotify).toMatchObject({ isLoggedIn: false });
    expect(JSON.stringify(outcome.value)).not.toContain(github.state.lastToken!.accessToken);
    expect(await page.evaluate(() => (window as any).latchkey.isLoggedIn('GITHUB'))).toBe(true);
  });

  it('rejects with ACCESS_DENIED when the person denies consent, and closes the popup', async () => {
    github.state.denyAuthorization = true;
    try {
      const popup = context.waitForEvent('page');
      await page.getByRole('button', { name: 'Connect GitHub', exact: true }).click();
      const opened = await popup;
      const outcome = await result();
      expect(outcome).toMatchObject({ ok: false, code: 'ACCESS_DENIED' });
      expect(outcome.message).toContain('denied');
      await expect.poll(() => opened.isClosed()).toBe(true);
    } finally {
      github.state.denyAuthorization = false;
    }
  });

  it('rejects with POPUP_CLOSED when the person closes the popup, ignoring a forged message from another origin', async () => {
    const started = page.waitForResponse((response) => response.url().startsWith(gateway.url) && response.request().postData()?.includes('startAuth') === true);
    const popup = context.waitForEvent('page');
    await page.getByRole('button', { name: 'Connect Spotify', exact: true }).click();
    const opened = await popup;
    const attemptId = (await (await started).json()).data.startAuth.attemptId;
    await opened.waitForURL(/\/authorize/);
    await screenshot(opened, 'auth-helper-popup-waiting');
    // A message shaped exactly like the gateway's, but from the site's own origin: ignored.
    await page.evaluate((attempt) => {
      window.postMessage({ source: 'latchkey', type: 'latchkey:auth', status: 'success', service: 'SPOTIFY', attempt, error: null }, '*');
    }, attemptId);
    expect(await page.locator('#result').textContent()).toBe('pending');
    await opened.close();
    expect(await result()).toMatchObject({ ok: false, code: 'POPUP_CLOSED' });
  });

  it('rejects with TIMEOUT when the provider takes too long, and closes the popup', async () => {
    const popup = context.waitForEvent('page');
    await page.getByRole('button', { name: 'Connect Spotify (1.5 s timeout)' }).click();
    const opened = await popup;
    expect(await result()).toMatchObject({ ok: false, code: 'TIMEOUT' });
    await expect.poll(() => opened.isClosed()).toBe(true);
  });

  it('rejects with POPUP_BLOCKED when called without a click', async () => {
    await page.close();
    await openSite('?auto=github');
    const outcome = await result();
    expect(outcome).toMatchObject({ ok: false, code: 'POPUP_BLOCKED' });
    expect(outcome.message).toContain('click');
    await screenshot(page, 'auth-helper-popup-blocked');
  });

  it('logs out', async () => {
    const token = github.state.lastToken!;
    await page.getByRole('button', { name: 'Disconnect GitHub' }).click();
    expect(await result()).toEqual({ ok: true, value: false });
    expect(token.active).toBe(false);
    const secrets = await getSecrets({ url: gateway.url, token: mintedForPages.at(-1)! });
    expect(secrets.github!.isLoggedIn).toBe(false);
  });

  it("connects, reports and disconnects one of the site's custom services", async () => {
    const popup = context.waitForEvent('page');
    await page.getByRole('button', { name: 'Connect Forge', exact: true }).click();
    const opened = await popup;
    expect(await result()).toMatchObject({ ok: true, value: { service: 'custom:forge', attemptId: expect.stringMatching(/^att_/) } });
    await expect.poll(() => opened.isClosed(), { timeout: 5000 }).toBe(true);
    const token = github.state.lastToken!;

    await page.getByRole('button', { name: 'Status' }).click();
    const status = await result();
    expect(status.value.forge).toMatchObject({ service: 'custom:forge', friendlyServiceName: 'Forge', isLoggedIn: true, grantedScopes: ['read:user'] });
    expect(JSON.stringify(status.value)).not.toContain(token.accessToken);

    await page.getByRole('button', { name: 'Disconnect Forge' }).click();
    expect(await result()).toEqual({ ok: true, value: false });
    const secrets = await getSecrets({ url: gateway.url, token: mintedForPages.at(-1)! });
    expect(secrets.forge).toMatchObject({ service: 'custom:forge', isLoggedIn: false, bearerToken: null });
  });
});

describe('what a page gets', () => {
  it('refuses a site token in the browser helper', () => {
    expect(() => new LatchkeyAuth({ gatewayUrl: gateway.url, token: site.token })).toThrow(expect.objectContaining({ code: 'SITE_TOKEN_IN_BROWSER' }));
  });

  it('never received a refresh token, an access token or the site token, and loaded only from loopback', async () => {
    await expect.poll(() => bodiesSeenByPage.length).toBeGreaterThan(5);
    const seen = [...bodiesSeenByPage, ...traffic.requests].join('\n');
    expect(seen).not.toContain(site.token);
    for (const issued of github.state.issuedTokens) {
      expect(seen).not.toContain(issued.accessToken);
      if (issued.refreshToken) expect(seen).not.toContain(issued.refreshToken);
    }
    expect(nonLoopback(traffic.requests)).toEqual([]);
  });
});

// @latchkey/auth logging in an END USER in a real browser (Debian's Chromium, popup blocker on): the
// site's backend, which knows who is logged in, mints a connect session (lkc_…) for that end user with
// its site token; the page hands it to the helper, which connects GitHub in a popup through the GitHub
// fake. The connection then belongs to that end user alone: secrets(endUser:) hands its token to the
// backend, while the page's session never sees a token and the site's own secrets stay empty.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startFakeGitHub, type FakeGitHub } from './support/fake-github.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { launchBrowser, listenOnLoopback, nonLoopback, pageResult, recordTraffic, screenshot } from './support/browser.js';

let github: FakeGitHub;
let gateway: TestGateway;
let site: { siteId: string; token: string };
let siteServer: Server;
let siteOrigin: string;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let traffic: ReturnType<typeof recordTraffic>;
const bodiesSeenByPage: string[] = [];
const sessions: string[] = [];

/** The site's backend: a connect session for the end user the page is for (here from ?user=). */
async function mintSession(endUser: string): Promise<string> {
  const result = await gateway.gql(
    'mutation ($input: CreateConnectSessionInput!) { createConnectSession(input: $input) { token } }',
    { input: { endUser, services: ['github'], ttlSeconds: 600 } },
    site.token,
  );
  if (result.body.errors) throw new Error(JSON.stringify(result.body.errors));
  const token: string = result.body.data.createConnectSession.token;
  sessions.push(token);
  return token;
}

function sitePage(gatewayUrl: string, sessionToken: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Example site</title></head>
<body>
<h1>Your integrations</h1>
<button id="login-github">Connect GitHub</button>
<button id="status">Status</button>
<pre id="result" aria-live="polite">(nothing yet)</pre>
<script type="module">
import { LatchkeyAuth } from ${JSON.stringify(`${gatewayUrl}/latchkey-auth.js`)};
const auth = new LatchkeyAuth({ gatewayUrl: ${JSON.stringify(gatewayUrl)}, token: ${JSON.stringify(sessionToken)} });
const result = document.getElementById('result');
function show(promise) {
  result.textContent = 'pending';
  promise.then(
    (value) => { result.textContent = JSON.stringify({ ok: true, value }); },
    (error) => { result.textContent = JSON.stringify({ ok: false, code: error.code, message: error.message }); },
  );
}
window.latchkey = auth;
document.getElementById('login-github').addEventListener('click', () => show(auth.login('github', { scopes: ['repo'] })));
document.getElementById('status').addEventListener('click', () => show(auth.isLoggedIn('github')));
</script>
</body>
</html>`;
}

const result = () => pageResult(page);

async function openSiteAs(endUser: string): Promise<void> {
  page = await context.newPage();
  await page.goto(`${siteOrigin}/?user=${encodeURIComponent(endUser)}`);
  await page.waitForFunction(() => 'latchkey' in window);
}

const secretsOf = (endUser: string | null) =>
  gateway.gql('query ($u: String) { secrets(endUser: $u) { github { isLoggedIn bearerToken endUser grantedScopes { scope } } } }', { u: endUser }, site.token);

beforeAll(async () => {
  github = await startFakeGitHub();
  siteServer = createServer((req, res) => {
    const url = new URL(req.url ?? '/', siteOrigin);
    if (url.pathname !== '/') return void res.writeHead(404).end();
    mintSession(url.searchParams.get('user') ?? 'nobody').then(
      (token) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(sitePage(gateway.url, token)),
      () => res.writeHead(500).end(),
    );
  });
  siteOrigin = await listenOnLoopback(siteServer);
  gateway = await startTestGateway({ ...github.appEnv });
  site = await gateway.createSite('End-user site', [siteOrigin]);
  browser = await launchBrowser({ popupBlocking: true });
  context = await browser.newContext({ viewport: { width: 900, height: 640 } });
  traffic = recordTraffic(context);
  context.on('response', (response) => {
    if (response.url().startsWith(`${gateway.url}/graphql`)) response.text().then((text) => bodiesSeenByPage.push(text), () => {});
  });
});

afterAll(async () => {
  await browser?.close();
  await gateway?.close();
  await github?.close();
  await new Promise((resolve) => siteServer?.close(resolve));
});

describe('@latchkey/auth with a connect session for an end user', () => {
  it("connects GitHub for alice from a click, and the backend reads alice's token with secrets(endUser:)", async () => {
    await openSiteAs('alice');
    const popup = context.waitForEvent('page');
    await page.getByRole('button', { name: 'Connect GitHub' }).click();
    const opened = await popup;
    expect(await result()).toMatchObject({ ok: true, value: { service: 'GITHUB', attemptId: expect.stringMatching(/^att_/) } });
    await expect.poll(() => opened.isClosed(), { timeout: 5000 }).toBe(true);
    await screenshot(page, 'end-user-auth-logged-in');

    const issued = github.state.lastToken!.accessToken;
    const alice = await secretsOf('alice');
    expect(alice.body.errors).toBeUndefined();
    expect(alice.body.data.secrets.github).toMatchObject({ isLoggedIn: true, bearerToken: issued, endUser: 'alice', grantedScopes: [{ scope: 'repo' }] });
    // Alice's connection is hers alone: not the site's, not another end user's.
    expect((await secretsOf(null)).body.data.secrets.github).toMatchObject({ isLoggedIn: false, bearerToken: null });
    expect((await secretsOf('bob')).body.data.secrets.github).toMatchObject({ isLoggedIn: false, bearerToken: null });
  });

  it("shows the page alice's state, and bob's page bob's", async () => {
    await page.getByRole('button', { name: 'Status' }).click();
    expect(await result()).toEqual({ ok: true, value: true });
    await openSiteAs('bob');
    await page.getByRole('button', { name: 'Status' }).click();
    expect(await result()).toEqual({ ok: true, value: false });
  });

  it("refuses the page's session a token read, and it cannot name another end user", async () => {
    const session = sessions[0]!;
    const asPage = await gateway.gql('{ secrets { github { bearerToken } } }', undefined, session);
    expect(asPage.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const other = await gateway.gql('{ secrets(endUser: "bob") { github { isLoggedIn } } }', undefined, session);
    expect(other.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('never gave the page a provider token or the site token, and loaded only from loopback', async () => {
    await expect.poll(() => bodiesSeenByPage.length).toBeGreaterThan(2);
    const seen = [...bodiesSeenByPage, ...traffic.requests].join('\n');
    expect(seen).not.toContain(site.token);
    for (const issued of github.state.issuedTokens) {
      expect(seen).not.toContain(issued.accessToken);
      if (issued.refreshToken) expect(seen).not.toContain(issued.refreshToken);
    }
    expect(nonLoopback(traffic.requests)).toEqual([]);
  });
});

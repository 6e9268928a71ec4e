// An MCP client's OAuth sign-in in a real browser (Debian's Chromium): the gateway sends it to the
// site's login page, whose backend vouches for the logged-in end user and redirects to the consent
// page; the person clicks Allow (or Deny) and the browser lands on the client's redirect URI. Proves
// the page renders, its CSP lets the form's redirect reach the client and nothing else, and the code
// it brings back is exchangeable.
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchBrowser, recordTraffic, screenshot } from './support/browser.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { startTinyServer } from './support/tiny-server.js';

let gateway: TestGateway;
let browser: Browser;
let site: { siteId: string; token: string };
let siteServer: Awaited<ReturnType<typeof startTinyServer>>;
let clientServer: Awaited<ReturnType<typeof startTinyServer>>;

beforeAll(async () => {
  gateway = await startTestGateway();
  // The site's login page: the person is "logged in" as casey; the backend vouches with the site token.
  siteServer = await startTinyServer(() => ({
    '/mcp-login': (req, res) => {
      const requestId = new URL(req.url ?? '/', 'http://x').searchParams.get('latchkey_mcp_request');
      gateway
        .gql('mutation ($i: CreateMcpLoginAssertionInput!) { createMcpLoginAssertion(input: $i) { redirectUrl } }', { i: { requestId, endUser: 'casey' } }, site.token)
        .then((result) => res.writeHead(303, { location: result.body.data.createMcpLoginAssertion.redirectUrl }).end())
        .catch(() => res.writeHead(500).end());
    },
  }));
  clientServer = await startTinyServer(() => ({
    '/callback': (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('back at the client'),
    // Chromium asks a plain-text page's origin for its icon, at its own pace: a 404 there is no defect of the gateway's.
    '/favicon.ico': (_req, res) => res.writeHead(204).end(),
  }));
  site = await gateway.createSite('Casey Co', [siteServer.base]);
  await gateway.gql('mutation ($u: String) { updateSite(input: { mcpLoginUrl: $u }) { id } }', { u: `${siteServer.base}/mcp-login` }, site.token);
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await siteServer?.close();
  await clientServer?.close();
  await gateway?.close();
});

async function startSignIn(): Promise<{ clientId: string; verifier: string; url: string; redirectUri: string }> {
  const redirectUri = `${clientServer.base}/callback`;
  const registered = await fetch(`${gateway.url}/oauth/mcp/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_name: 'Browser Agent', redirect_uris: [redirectUri] }),
  });
  const clientId = ((await registered.json()) as { client_id: string }).client_id;
  const verifier = randomBytes(32).toString('base64url');
  const url = new URL(`${gateway.url}/oauth/mcp/authorize`);
  for (const [name, value] of Object.entries({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: redirectUri,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    state: 'browser-state',
    scope: 'mcp:read mcp:write',
    resource: `${gateway.publicUrl}/mcp`,
    site: site.siteId,
  })) {
    url.searchParams.set(name, value);
  }
  return { clientId, verifier, url: url.href, redirectUri };
}

describe('the MCP consent page in a browser', () => {
  it('names the client, site, end user and scopes; Allow lands on the client with an exchangeable code', async () => {
    const context = await browser.newContext();
    const traffic = recordTraffic(context);
    const page = await context.newPage();
    const { clientId, verifier, url, redirectUri } = await startSignIn();
    await page.goto(url);
    await page.waitForSelector('#approve');
    expect(page.url().startsWith(`${gateway.url}/oauth/mcp/consent`)).toBe(true);
    expect(await page.textContent('#client-name')).toBe('Browser Agent');
    expect(await page.textContent('#end-user')).toBe('casey');
    expect(await page.textContent('#redirect-host')).toBe(new URL(redirectUri).host);
    expect(await page.textContent('#scopes')).toContain('mcp:write');
    expect(await page.textContent('#title')).toContain('Casey Co');
    await screenshot(page, 'mcp-consent');

    await Promise.all([page.waitForURL((target) => target.href.startsWith(redirectUri)), page.click('#approve')]);
    const back = new URL(page.url());
    expect(back.searchParams.get('state')).toBe('browser-state');
    const code = back.searchParams.get('code');
    expect(code).toMatch(/^lkmc_/);
    expect(traffic.problems).toEqual([]);

    const exchanged = await fetch(`${gateway.url}/oauth/mcp/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: code!, code_verifier: verifier, client_id: clientId, redirect_uri: redirectUri }),
    });
    expect(exchanged.status).toBe(200);
    expect(await exchanged.json()).toMatchObject({ token_type: 'Bearer', scope: 'mcp:read mcp:write' });
    await context.close();
  });

  it('unticking mcp:write narrows the grant', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const { clientId, verifier, url, redirectUri } = await startSignIn();
    await page.goto(url);
    await page.uncheck('#grant-write');
    await Promise.all([page.waitForURL((target) => target.href.startsWith(redirectUri)), page.click('#approve')]);
    const code = new URL(page.url()).searchParams.get('code')!;
    const exchanged = await fetch(`${gateway.url}/oauth/mcp/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, code_verifier: verifier, client_id: clientId, redirect_uri: redirectUri }),
    });
    expect(await exchanged.json()).toMatchObject({ scope: 'mcp:read' });
    await context.close();
  });

  it('Deny lands on the client with access_denied and no code', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const { url, redirectUri } = await startSignIn();
    await page.goto(url);
    await page.waitForSelector('#deny');
    await Promise.all([page.waitForURL((target) => target.href.startsWith(redirectUri)), page.click('#deny')]);
    const back = new URL(page.url());
    expect(back.searchParams.get('error')).toBe('access_denied');
    expect(back.searchParams.get('code')).toBeNull();
    await context.close();
  });
});

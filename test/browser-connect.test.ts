// The connect page in a real browser (Debian's Chromium), against a real gateway, the GitHub fake
// and oidc-provider standing in for Salesforce: a newcomer opens the link the CLI prints, picks
// scopes, connects, and a function using getSecrets() sees the token; then adds a scope,
// reconnects a connection that needs it, and disconnects. Screenshots land in test-results/screenshots.
import { randomBytes } from 'node:crypto';
import { connect, createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { getSecrets } from '../packages/latchkey-functions/index.js';
import { startFakeGitHub, type FakeGitHub } from './support/fake-github.js';
import { startAuthorizationServer, DEFAULT_ACCOUNT_ID, type AuthorizationServer } from './support/authorization-server.js';
import { freePort, startTestGateway, type TestGateway } from './support/gateway.js';
import { nonLoopback, recordTraffic, screenshot } from './support/browser.js';
import { accessibilityReport, openConnectPageBrowser, openPermissions } from './support/connect-page.js';
import { startFakeProviderServer, type FakeProviderHandle, type FakeProviderServer } from './support/fake-provider.js';

const SALESFORCE_CLIENT_ID = 'latchkey-browser-test';
const SALESFORCE_CLIENT_SECRET = `sf-${randomBytes(24).toString('base64url')}`;

let github: FakeGitHub;
let salesforce: AuthorizationServer;
let gateway: TestGateway;
let site: { siteId: string; token: string };
let browser: Browser;
let page: Page;
let traffic: ReturnType<typeof recordTraffic>;
/** Where the gateway says it lives (its LATCHKEY_PUBLIC_URL), relayed to its real port. */
let publicUrl: string;

let relay: Server;
/** SendGrid's API (its key check) played by the configurable fake. */
let keyFake: FakeProviderServer;
let sendgrid: FakeProviderHandle;

/** Forwards every connection on `port` to the gateway's real port. */
async function startRelay(port: number, target: number): Promise<Server> {
  const server = createServer((socket) => {
    const upstream = connect(target, '127.0.0.1');
    socket.pipe(upstream).pipe(socket);
    const end = () => {
      socket.destroy();
      upstream.destroy();
    };
    socket.on('error', end);
    upstream.on('error', end);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return server;
}

async function functionSecrets() {
  const minted = await gateway.gql('mutation { createFunctionToken(input: { ttlSeconds: 60 }) { token } }', {}, site.token);
  return getSecrets({ url: gateway.url, token: minted.body.data.createFunctionToken.token });
}

function card(service: string) {
  return page.locator(`section[data-service="${service}"]`);
}

beforeAll(async () => {
  github = await startFakeGitHub();
  publicUrl = `http://127.0.0.1:${await freePort()}`;
  salesforce = await startAuthorizationServer({
    clients: [{ clientId: SALESFORCE_CLIENT_ID, clientSecret: SALESFORCE_CLIENT_SECRET, redirectUris: [`${publicUrl}/oauth/callback/salesforce`] }],
  });
  keyFake = await startFakeProviderServer();
  sendgrid = keyFake.add('sendgrid', { clientId: 'unused', clientAuthMethod: 'none', pkce: false, issuesRefreshToken: false });
  gateway = await startTestGateway({
    LATCHKEY_SENDGRID_API_URL: sendgrid.apiUrl,
    ...github.appEnv,
    ...salesforce.salesforceEnv(),
    LATCHKEY_SALESFORCE_CLIENT_ID: SALESFORCE_CLIENT_ID,
    LATCHKEY_SALESFORCE_CLIENT_SECRET: SALESFORCE_CLIENT_SECRET,
    LATCHKEY_PUBLIC_URL: publicUrl,
    // The test moves a stored token's expiry in the database, as another instance would.
    LATCHKEY_CONNECTION_CACHE_MS: '0',
  });
  // The browser reaches the gateway at its public URL (the redirect URI registered at the provider)
  // through a plain TCP relay, as behind a reverse proxy.
  relay = await startRelay(Number(new URL(publicUrl).port), Number(new URL(gateway.url).port));
  // The site lists no origin at all: the connect page is the gateway's own.
  site = await gateway.createSite('Newcomer site', []);
  ({ browser, page, traffic } = await openConnectPageBrowser());
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => relay?.close(resolve));
  await gateway?.close();
  await github?.close();
  await salesforce?.close();
  await keyFake?.close();
});

describe('the connect page in a browser', () => {
  it('opens from the link `latchkey connect-link` prints and takes the token out of the address bar', async () => {
    const created = await gateway.gql('mutation { createConnectLink(ttlSeconds: 600) { url } }', {}, site.token);
    const link: string = created.body.data.createConnectLink.url;
    expect(link.startsWith(`${publicUrl}/connect#token=lkc_`)).toBe(true);

    await page.goto(link);
    await expect.poll(() => page.locator('#site-name').textContent()).toBe('Site: Newcomer site');
    expect(page.url()).toBe(`${publicUrl}/connect`);
    const stored = await page.evaluate(() => sessionStorage.getItem('latchkey.connect.token'));
    expect(stored).toBe(new URLSearchParams(new URL(link).hash.slice(1)).get('token'));
    expect(await page.evaluate(() => localStorage.length)).toBe(0);

    // Every catalog service, each with its scopes in a labelled fieldset, defaults ticked, required locked.
    // The whole catalog: 50 and more services.
    await expect.poll(() => page.locator('section.service').count()).toBeGreaterThanOrEqual(45);
    const github = card('GITHUB');
    expect(await github.locator('.badge').textContent()).toBe('Not connected');
    expect(await github.locator('legend').textContent()).toBe('Permissions for GitHub');
    expect(await page.locator('#scope-github-read_user').isChecked()).toBe(true);
    expect(await page.locator('#scope-github-repo').isChecked()).toBe(false);
    const salesforceRequired = card('SALESFORCE').locator('input[name=scope]:disabled');
    expect(await salesforceRequired.count()).toBeGreaterThan(0);
    expect(await salesforceRequired.first().isChecked()).toBe(true);
    // Spotify has no OAuth app on this gateway: its button is off and the page says what to set.
    expect(await card('SPOTIFY').getByRole('button', { name: 'Connect Spotify' }).isDisabled()).toBe(true);
    expect(await card('SPOTIFY').locator('.note').textContent()).toContain('LATCHKEY_SPOTIFY_CLIENT_ID');
    await screenshot(page, 'connect-page-opened');
  });

  it('connects GitHub with the scopes ticked, and a function sees the token', async () => {
    await openPermissions(card('GITHUB'));
    await page.getByLabel(/^Repositories repo\b/).check();
    // Keyboard only: focus the checkbox and press Space.
    await page.locator('#scope-github-user_email').focus();
    await page.keyboard.press('Space');
    expect(await card('GITHUB').locator('.selection').textContent()).toBe('Will ask for: read:user, user:email, repo');
    await screenshot(page, 'connect-page-scopes-chosen');

    await card('GITHUB').getByRole('button', { name: 'Connect GitHub' }).click();
    await expect.poll(() => page.locator('#status').textContent(), { timeout: 15_000 }).toBe('GitHub is connected.');
    expect(page.url()).toBe(`${publicUrl}/connect`);
    expect(await card('GITHUB').locator('.badge').textContent()).toBe('Connected');
    expect(await card('GITHUB').locator('.health').textContent()).toContain(`Connected as ${github.state.user.login}.`);
    await screenshot(page, 'connect-page-github-connected');

    expect(github.state.lastToken!.scopes.sort()).toEqual(['read:user', 'repo', 'user:email']);
    const secrets = await functionSecrets();
    expect(secrets.github).toMatchObject({ isLoggedIn: true, bearerToken: github.state.lastToken!.accessToken });
    expect(secrets.github!.grantedScopes.sort()).toEqual(['read:user', 'repo', 'user:email']);
  });

  it('lists connected services first, and finds services by name, permission or category', async () => {
    // GitHub is connected: it heads the "Connected" group; the rest follow under "More services".
    const connectedGroup = page.locator('#group-connected');
    expect(await connectedGroup.locator('h2').textContent()).toBe('Connected (1)');
    expect(await connectedGroup.locator('section.service').evaluateAll((cards) => cards.map((card) => card.getAttribute('data-service')))).toEqual(['GITHUB']);
    const others = await page.locator('#group-available section.service').evaluateAll((cards) => cards.map((card) => card.querySelector('h3')!.textContent));
    expect(others).toEqual([...others].sort((a, b) => a!.localeCompare(b!)));
    const total = await page.locator('section.service').count();
    expect(await page.locator('#service-count').textContent()).toBe(`${total} services`);

    await page.getByLabel('Search services').fill('spoti');
    await expect.poll(() => page.locator('section.service:visible').evaluateAll((cards) => cards.map((card) => card.getAttribute('data-service')))).toEqual(['SPOTIFY']);
    expect(await page.locator('#service-count').textContent()).toBe(`1 of ${total} services`);
    // The connected group has nothing left to show, so it is hidden too.
    expect(await page.locator('#group-connected').isHidden()).toBe(true);

    // A permission's name finds its service.
    await page.getByLabel('Search services').fill('playlist');
    await expect.poll(() => page.locator('section.service:visible').evaluateAll((cards) => cards.map((card) => card.getAttribute('data-service')))).toEqual(['SPOTIFY']);

    await page.getByLabel('Search services').fill('no such service anywhere');
    await expect.poll(() => page.locator('#no-match').isVisible()).toBe(true);
    await screenshot(page, 'connect-page-search-none', { fullPage: false });

    await page.getByLabel('Search services').fill('');
    const category = await card('GITHUB').getAttribute('data-category');
    expect(category).toBeTruthy();
    await page.getByLabel('Category').selectOption(category!);
    const shown = await page.locator('section.service:visible').evaluateAll((cards) => cards.map((card) => card.getAttribute('data-category')));
    expect(shown.length).toBeGreaterThan(1);
    expect(shown.length).toBeLessThan(total);
    expect(new Set(shown)).toEqual(new Set([category]));
    await page.getByLabel('Category').selectOption('');
    await expect.poll(() => page.locator('section.service:visible').count()).toBe(total);
  });

  it('fits 360 and 390 px wide screens without sideways scrolling', async () => {
    const link = (await gateway.gql('mutation { createConnectLink(ttlSeconds: 600) { url } }', {}, site.token)).body.data.createConnectLink.url as string;
    for (const width of [360, 390]) {
      const narrow = await browser.newContext({ viewport: { width, height: 800 } });
      try {
        // The token form first, then the catalog with every card's permissions open.
        const form = await narrow.newPage();
        await form.goto(`${publicUrl}/connect`);
        await expect.poll(() => form.locator('#token-form').isVisible()).toBe(true);
        expect(await form.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
        const phone = await narrow.newPage();
        await phone.goto(link);
        await expect.poll(() => phone.locator('section.service').count()).toBeGreaterThanOrEqual(6);
        await phone.evaluate(() => document.querySelectorAll('details').forEach((details) => ((details as HTMLDetailsElement).open = true)));
        const overflow = await phone.evaluate(() => ({
          page: document.documentElement.scrollWidth - window.innerWidth,
          wide: [...document.querySelectorAll('main *')]
            .filter((node) => node.getBoundingClientRect().right > window.innerWidth + 0.5)
            .map((node) => `${node.tagName}.${node.className}`)
            .slice(0, 5),
        }));
        expect(overflow).toEqual({ page: expect.any(Number), wide: [] });
        expect(overflow.page).toBeLessThanOrEqual(0);
        await screenshot(phone, `connect-page-${width}px`, { fullPage: false });
      } finally {
        await narrow.close();
      }
    }
  });

  it('adds a scope to the connection', async () => {
    await openPermissions(card('GITHUB'));
    expect(await page.locator('#scope-github-repo').isChecked()).toBe(true);
    await page.locator('#scope-github-gist').check();
    await card('GITHUB').getByRole('button', { name: 'Update permissions' }).click();
    await expect.poll(() => page.locator('#status').textContent(), { timeout: 15_000 }).toBe('GitHub is connected.');
    const secrets = await functionSecrets();
    expect(secrets.github!.grantedScopes.sort()).toEqual(['gist', 'read:user', 'repo', 'user:email']);
    expect(secrets.github!.bearerToken).toBe(github.state.lastToken!.accessToken);
  });

  it('shows a connection that needs reconnecting, and reconnects it', async () => {
    github.state.invalidateAllRefreshTokens();
    await gateway.gateway.db.connection.updateMany({ where: { siteId: site.siteId, service: 'GITHUB' }, data: { expiresAt: new Date(Date.now() - 1000) } });
    await page.reload();
    await expect.poll(() => card('GITHUB').locator('.badge').textContent()).toBe('Needs reconnecting');
    expect(await card('GITHUB').locator('.health').textContent()).toContain('bad_refresh_token');
    // What the site had stays ticked, so reconnecting asks for it again.
    expect(await card('GITHUB').locator('.selection').textContent()).toBe('Will ask for: read:user, user:email, repo, gist');
    await screenshot(page, 'connect-page-needs-reauth');

    await card('GITHUB').getByRole('button', { name: 'Reconnect GitHub' }).click();
    await expect.poll(() => page.locator('#status').textContent(), { timeout: 15_000 }).toBe('GitHub is connected.');
    expect(await card('GITHUB').locator('.badge').textContent()).toBe('Connected');
    const secrets = await functionSecrets();
    expect(secrets.github!.bearerToken).toBe(github.state.lastToken!.accessToken);
    expect(secrets.github!.grantedScopes.sort()).toEqual(['gist', 'read:user', 'repo', 'user:email']);
  });

  it('connects Salesforce through a real authorization server with its required scopes', async () => {
    await openPermissions(card('SALESFORCE'));
    expect(await page.locator('#scope-salesforce-api').isChecked()).toBe(true);
    await page.locator('#scope-salesforce-web').check();
    await card('SALESFORCE').getByRole('button', { name: 'Connect Salesforce' }).click();
    await expect.poll(() => page.locator('#status').textContent(), { timeout: 15_000 }).toBe('Salesforce is connected.');
    expect(await card('SALESFORCE').locator('.badge').textContent()).toBe('Connected');
    const secrets = await functionSecrets();
    expect(secrets.salesforce).toMatchObject({ isLoggedIn: true, foreignUserId: expect.stringContaining(DEFAULT_ACCOUNT_ID) });
    expect(secrets.salesforce!.grantedScopes).toEqual(expect.arrayContaining(['api', 'refresh_token', 'id', 'web']));
  });

  it('reports a denied consent on the page', async () => {
    github.state.denyAuthorization = true;
    try {
      await card('GITHUB').getByRole('button', { name: 'Update permissions' }).click();
      await expect.poll(() => page.locator('#alert').textContent()).toContain('Could not connect GitHub: access was denied');
      expect(await page.locator('#alert').getAttribute('role')).toBe('alert');
      await screenshot(page, 'connect-page-denied', { fullPage: false });
    } finally {
      github.state.denyAuthorization = false;
    }
    expect((await functionSecrets()).github!.isLoggedIn).toBe(true);
  });

  it('disconnects GitHub', async () => {
    const token = github.state.lastToken!;
    await card('GITHUB').getByRole('button', { name: 'Disconnect GitHub' }).click();
    await expect.poll(() => page.locator('#status').textContent()).toBe('GitHub is disconnected.');
    expect(await card('GITHUB').locator('.badge').textContent()).toBe('Not connected');
    expect(token.active).toBe(false);
    expect((await functionSecrets()).github).toMatchObject({ isLoggedIn: false, bearerToken: null });
    await screenshot(page, 'connect-page-disconnected');
  });

  it('connects an API-key service through a masked form that never shows the key', async () => {
    const key = `SG.${randomBytes(18).toString('base64url')}`;
    sendgrid.validApiKeys.add(key);
    const form = card('SENDGRID');
    const input = form.getByLabel('API key');
    expect(await input.getAttribute('type')).toBe('password');
    expect(await input.getAttribute('autocomplete')).toBe('off');

    // SendGrid refuses this key: nothing is stored, the page says so, and the input is emptied.
    await input.fill('SG.not-a-key');
    await form.getByRole('button', { name: 'Connect SendGrid' }).click();
    await expect.poll(() => page.locator('#alert').textContent(), { timeout: 15_000 }).toContain('Could not connect SendGrid');
    expect(await input.inputValue()).toBe('');
    expect(await form.locator('.badge').textContent()).toBe('Not connected');

    await input.fill(key);
    await form.getByRole('button', { name: 'Connect SendGrid' }).click();
    await expect.poll(() => page.locator('#status').textContent(), { timeout: 15_000 }).toBe('SendGrid is connected.');
    expect(await card('SENDGRID').locator('.badge').textContent()).toBe('Connected');
    expect(await card('SENDGRID').getByLabel('API key').inputValue()).toBe('');
    // The key is nowhere on the page, and only ever left the browser in the mutation's body.
    expect(await page.content()).not.toContain(key);
    expect(traffic.requests.filter((url) => url.includes(key) || url.includes('not-a-key'))).toEqual([]);
    expect(sendgrid.apiRequests).toEqual(['GET /v3/scopes', 'GET /v3/scopes']);

    const minted = await gateway.gql('mutation { createFunctionToken(input: { ttlSeconds: 60 }) { token } }', {}, site.token);
    const read = await gateway.gql('query { secrets { sendgrid { isLoggedIn bearerToken } } }', {}, minted.body.data.createFunctionToken.token);
    expect(read.body.data.secrets.sendgrid).toEqual({ isLoggedIn: true, bearerToken: key });
    await screenshot(page, 'connect-page-api-key-connected');
  });

  it('keeps every text at a contrast of 4.5:1 or more, and every control labelled', async () => {
    await page.reload();
    await expect.poll(() => page.locator('section.service').count()).toBeGreaterThanOrEqual(6);
    await openPermissions(card('GITHUB'));
    const report = await accessibilityReport(page, 'body');
    expect(report.checked).toBeGreaterThan(50);
    expect(report.low).toEqual([]);
    expect(report.unlabelled).toEqual([]);
    // Every OAuth service's scopes are a fieldset with a legend.
    expect(await page.locator('fieldset > legend').count()).toBe(await page.locator('form.scopes-form').count());
  });

  it('sends the person back to the token form when the link has expired', async () => {
    await gateway.gateway.db.siteToken.updateMany({ where: { siteId: site.siteId, label: 'connect link' }, data: { revokedAt: new Date() } });
    const fresh = await browser.newContext();
    try {
      const other = await fresh.newPage();
      const created = await gateway.gql('mutation { createConnectLink(ttlSeconds: 60) { url accessToken { id } } }', {}, site.token);
      await gateway.gateway.db.siteToken.update({ where: { id: created.body.data.createConnectLink.accessToken.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
      await other.goto(created.body.data.createConnectLink.url.replace(publicUrl, gateway.url));
      await expect.poll(() => other.locator('#alert').textContent()).toContain('expired');
      expect(await other.locator('#token-form').isVisible()).toBe(true);
      expect(await other.evaluate(() => sessionStorage.getItem('latchkey.connect.token'))).toBeNull();
    } finally {
      await fresh.close();
    }
  });

  it('loaded nothing from outside loopback and broke no CSP rule', () => {
    expect(traffic.requests.length).toBeGreaterThan(10);
    expect(nonLoopback(traffic.requests)).toEqual([]);
    expect(traffic.problems.filter((problem) => /Content Security Policy|Refused to/i.test(problem))).toEqual([]);
    // The site token never travels in a URL.
    expect(traffic.requests.filter((url) => url.includes(site.token) || /lk[sfc]_[A-Za-z0-9_-]{43}/.test(url.split('#')[0]!))).toEqual([]);
  });
});

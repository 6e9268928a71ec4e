// The connect page's "Your services" in a real browser (Debian's Chromium), against a real gateway
// and oidc-provider playing a site-defined OpenID Connect server: the section is absent while the
// site defines no service; once the site defines one through the API, a person opening a connect
// link sees it (name and slug), picks scopes, connects through the authorization server (which
// auto-approves), sees it connected with the granted scopes, and disconnects it (revoked at the
// server). A function token reads the same state. Screenshots land in test-results/screenshots.
//
// The custom callback URL names the site, so the order is: gateway, site, then the authorization
// server (which must know its client's redirect URI up front).
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DEFAULT_ACCOUNT_ID, startAuthorizationServer, type AuthorizationServer } from './support/authorization-server.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { nonLoopback, recordTraffic, screenshot } from './support/browser.js';
import { accessibilityReport, openConnectPageBrowser, openPermissions } from './support/connect-page.js';
import { CLAIMS, PROMPT_CONSENT, wellKnown } from './support/custom-services.js';

const SLUG = 'acme-id';
const KEY = `custom:${SLUG}`;
const CLIENT = { clientId: 'latchkey-browser-custom', clientSecret: `custom-${randomBytes(24).toString('base64url')}` };
const DEFINE = 'mutation ($input: DefineCustomServiceInput!) { defineCustomService(input: $input) { slug callbackUrl } }';
const READ = 'query ($slug: String!) { secrets { custom(slug: $slug) { isLoggedIn bearerToken status foreignUserId grantedScopes { scope } } } }';

let server: AuthorizationServer;
let gateway: TestGateway;
let site: { siteId: string; token: string };
let browser: Browser;
let context: BrowserContext;
let page: Page;
let traffic: ReturnType<typeof recordTraffic>;
/** Every /graphql request body the page sent. */
const pageQueries: string[] = [];

function card() {
  return page.locator(`section[data-service="${KEY}"]`);
}

/** What a function of the site reads (a function token may read bearerToken; the page's may not). */
async function functionReads() {
  const minted = await gateway.gql('mutation { createFunctionToken(input: { ttlSeconds: 60 }) { token } }', {}, site.token);
  const result = await gateway.gql(READ, { slug: SLUG }, minted.body.data.createFunctionToken.token);
  expect(result.body.errors).toBeUndefined();
  return result.body.data.secrets.custom as { isLoggedIn: boolean; bearerToken: string | null; status: string | null; foreignUserId: string | null; grantedScopes: Array<{ scope: string }> | null };
}

beforeAll(async () => {
  gateway = await startTestGateway({
    // The authorization server runs on loopback; the gateway refuses loopback hosts unless told.
    LATCHKEY_CUSTOM_SERVICE_ALLOW_LOOPBACK: 'true',
  });
  site = await gateway.createSite('Custom services site', []);
  server = await startAuthorizationServer({
    clients: [{ ...CLIENT, tokenEndpointAuthMethod: 'client_secret_basic', redirectUris: [`${gateway.publicUrl}/oauth/callback/custom/${site.siteId}/${SLUG}`] }],
    claims: CLAIMS,
    accountClaims: (accountId) => ({ preferred_username: `user-${accountId.toLowerCase()}`, name: `User ${accountId}` }),
  });
  ({ browser, context, page, traffic } = await openConnectPageBrowser());
  context.on('request', (request) => {
    if (new URL(request.url()).pathname === '/graphql') pageQueries.push(request.postData() ?? '');
  });
});

afterAll(async () => {
  await browser?.close();
  await gateway?.close();
  await server?.close();
});

describe("the connect page's custom services in a browser", () => {
  it('shows no "Your services" section while the site defines none', async () => {
    const created = await gateway.gql('mutation { createConnectLink(ttlSeconds: 600) { url } }', {}, site.token);
    await page.goto(created.body.data.createConnectLink.url);
    await expect.poll(() => page.locator('section.service').count()).toBeGreaterThanOrEqual(6);
    expect(await page.locator('#custom-services').count()).toBe(0);
    expect(await page.getByRole('heading', { name: 'Your services' }).count()).toBe(0);
    expect(await page.locator('section.service-custom').count()).toBe(0);
  });

  it('lists a service the site defined through the API, by name and slug, with its scopes', async () => {
    const defined = await gateway.gql(
      DEFINE,
      {
        input: {
          slug: SLUG,
          friendlyServiceName: 'Acme Identity',
          discoveryUrl: wellKnown(server),
          ...CLIENT,
          // prompt=consent so that offline_access yields a refresh token.
          authorizationParameters: PROMPT_CONSENT,
          scopes: [
            { scope: 'openid', title: 'Sign in', description: 'Who you are at Acme.', isRequired: true },
            { scope: 'profile', title: 'Profile', description: 'Your name and user name.', isDefault: true },
            { scope: 'email', title: 'Email address', description: 'Your email address.' },
            { scope: 'offline_access', title: 'Stay connected', description: 'Refresh the token while you are away.' },
          ],
        },
      },
      site.token,
    );
    expect(defined.body.errors).toBeUndefined();

    await page.reload();
    await expect.poll(() => card().count()).toBe(1);
    // After every catalog service, in its own section.
    const order = await page.locator('#services section.service').evaluateAll((sections) => sections.map((section) => section.getAttribute('data-service')));
    expect(order.at(-1)).toBe(KEY);
    expect(await page.getByRole('heading', { level: 2, name: 'Your services' }).isVisible()).toBe(true);
    expect(await page.locator('#custom-services').getByRole('heading', { level: 3, name: 'Acme Identity' }).isVisible()).toBe(true);
    expect(await card().getAttribute('aria-labelledby')).toBe(`svc-custom-${SLUG}-title`);
    expect(await card().locator('.slug code').textContent()).toBe(SLUG);
    expect(await card().locator('.badge').textContent()).toBe('Not connected');
    expect(await card().locator('legend').textContent()).toBe('Permissions for Acme Identity');
    // Required locked on, defaults ticked, the rest off.
    expect(await page.locator(`#scope-custom-${SLUG}-openid`).isChecked()).toBe(true);
    expect(await page.locator(`#scope-custom-${SLUG}-openid`).isDisabled()).toBe(true);
    expect(await page.locator(`#scope-custom-${SLUG}-profile`).isChecked()).toBe(true);
    expect(await page.locator(`#scope-custom-${SLUG}-email`).isChecked()).toBe(false);
    expect(await card().locator('.selection').textContent()).toBe('Will ask for: openid, profile');
    await screenshot(page, 'connect-page-custom-listed');
  });

  it('connects it with the scopes ticked, through the authorization server', async () => {
    await openPermissions(card());
    await card().getByLabel(/^Email address email\b/).check();
    // Keyboard only: focus the checkbox and press Space.
    await page.locator(`#scope-custom-${SLUG}-offline_access`).focus();
    await page.keyboard.press('Space');
    expect(await card().locator('.selection').textContent()).toBe('Will ask for: openid, profile, email, offline_access');

    const authorizationRequests: URL[] = [];
    const watch = (request: { url(): string }) => {
      const url = new URL(request.url());
      if (url.pathname === '/services/oauth2/authorize') authorizationRequests.push(url);
    };
    context.on('request', watch);
    try {
      await card().getByRole('button', { name: 'Connect Acme Identity' }).click();
      await expect.poll(() => page.locator('#status').textContent(), { timeout: 15_000 }).toBe('Acme Identity is connected.');
    } finally {
      context.off('request', watch);
    }
    expect(authorizationRequests[0]?.searchParams.get('scope')?.split(' ').sort()).toEqual(['email', 'offline_access', 'openid', 'profile']);
    // Back on the page, with the callback's query removed.
    expect(page.url()).toBe(`${gateway.publicUrl}/connect`);
    expect(await card().locator('.badge').textContent()).toBe('Connected');
    expect(await card().locator('.health').textContent()).toContain(`Connected as user-${DEFAULT_ACCOUNT_ID.toLowerCase()}.`);
    await openPermissions(card());
    const granted = await card().locator('.scope:has(.tag-granted) input').evaluateAll((inputs) => inputs.map((input) => (input as HTMLInputElement).value));
    expect(granted.sort()).toEqual(['email', 'offline_access', 'openid', 'profile']);
    expect(await card().locator('.selection').textContent()).toBe('Granted or requested: openid, profile, email, offline_access');
    expect(await card().getByRole('button', { name: 'Update permissions' }).isEnabled()).toBe(true);
    await screenshot(page, 'connect-page-custom-connected');

    const secrets = await functionReads();
    expect(secrets).toMatchObject({ isLoggedIn: true, status: 'ACTIVE', foreignUserId: DEFAULT_ACCOUNT_ID });
    expect(secrets.bearerToken).toBeTruthy();
    expect(secrets.grantedScopes!.map((scope) => scope.scope).sort()).toEqual(['email', 'offline_access', 'openid', 'profile']);
  });

  it('changes its permissions, asking for exactly what is ticked', async () => {
    await openPermissions(card());
    await page.locator(`#scope-custom-${SLUG}-email`).uncheck();
    await card().getByRole('button', { name: 'Update permissions' }).click();
    await expect.poll(() => page.locator('#status').textContent(), { timeout: 15_000 }).toBe('Acme Identity is connected.');
    const secrets = await functionReads();
    expect(secrets.grantedScopes!.map((scope) => scope.scope).sort()).toEqual(['offline_access', 'openid', 'profile']);
    await openPermissions(card());
    expect(await page.locator(`#scope-custom-${SLUG}-email`).isChecked()).toBe(false);
  });

  it('reports a denied consent on the page, naming the service, and keeps the connection', async () => {
    // The person denies on the provider's page: the server sends the browser back to the gateway's
    // callback with error=access_denied (what oidc-provider does, made here without its consent UI).
    // The browser opens the gateway's launch URL (which binds it with a cookie), and instead of the
    // provider's page it is sent straight back to the callback with the denial.
    const launch = `${gateway.publicUrl}/oauth/start/**`;
    await context.route(launch, async (route) => {
      const launched = await route.fetch({ maxRedirects: 0 });
      const asked = new URL(launched.headers()['location']!);
      const back = new URL(asked.searchParams.get('redirect_uri')!);
      back.search = new URLSearchParams({ error: 'access_denied', state: asked.searchParams.get('state')!, iss: server.issuer }).toString();
      return route.fulfill({ status: 302, headers: { location: back.toString(), 'set-cookie': launched.headers()['set-cookie'] ?? '' } });
    });
    try {
      await card().getByRole('button', { name: 'Update permissions' }).click();
      await expect.poll(() => page.locator('#alert').textContent(), { timeout: 15_000 }).toContain('Could not connect Acme Identity: access was denied');
    } finally {
      await context.unroute(launch);
    }
    expect(page.url()).toBe(`${gateway.publicUrl}/connect`);
    expect(await card().locator('.badge').textContent()).toBe('Connected');
    await screenshot(page, 'connect-page-custom-denied', { fullPage: false });
    expect((await functionReads()).isLoggedIn).toBe(true);
  });

  it('disconnects it, and the server revokes the token', async () => {
    const revocations = server.state.revocations;
    await card().getByRole('button', { name: 'Disconnect Acme Identity' }).click();
    await expect.poll(() => page.locator('#status').textContent()).toBe('Acme Identity is disconnected.');
    expect(await card().locator('.badge').textContent()).toBe('Not connected');
    expect(await card().getByRole('button', { name: 'Disconnect Acme Identity' }).count()).toBe(0);
    // Focus lands on the card's connect button.
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Connect Acme Identity');
    expect(server.state.revocations).toBeGreaterThan(revocations);
    expect(await functionReads()).toMatchObject({ isLoggedIn: false, bearerToken: null });
    await screenshot(page, 'connect-page-custom-disconnected');
  });

  it('keeps every text at a contrast of 4.5:1 or more, every control labelled, and headings in order', async () => {
    await page.reload();
    await expect.poll(() => card().count()).toBe(1);
    await openPermissions(card());
    const report = await accessibilityReport(page, '#custom-services');
    expect(report.checked).toBeGreaterThan(10);
    expect(report.low).toEqual([]);
    expect(report.unlabelled).toEqual([]);
    expect(report.duplicateIds).toEqual([]);
    expect(report.skipped).toEqual([]);
    // Every OAuth service's scopes are a fieldset with a legend (API-key services have a credential form instead).
    expect(await page.locator('fieldset > legend').count()).toBe(await page.locator('form.scopes-form').count());
  });

  it('loaded nothing from outside loopback, broke no CSP rule, and never asked for a bearer token', () => {
    expect(traffic.requests.length).toBeGreaterThan(10);
    expect(nonLoopback(traffic.requests)).toEqual([]);
    expect(traffic.problems.filter((problem) => /Content Security Policy|Refused to/i.test(problem))).toEqual([]);
    expect(traffic.problems).toEqual([]);
    expect(pageQueries.some((body) => body.includes('customServices'))).toBe(true);
    expect(pageQueries.filter((body) => body.includes('bearerToken'))).toEqual([]);
    expect(traffic.requests.filter((url) => url.includes(site.token) || /lk[sfc]_[A-Za-z0-9_-]{43}/.test(url.split('#')[0]!))).toEqual([]);
  });
});

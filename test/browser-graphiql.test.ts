// GraphiQL at /graphql in a real browser: it loads from the gateway alone (no CDN, no request
// leaving 127.0.0.1, no CSP violation), offers the explorer plugin and the example operations, and
// runs a query with a site token typed into the header editor.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startFakeGitHub, type FakeGitHub } from './support/fake-github.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { connectViaCallback as connectService } from './support/connect.js';
import { launchBrowser, nonLoopback, recordTraffic, screenshot } from './support/browser.js';

let github: FakeGitHub;
let gateway: TestGateway;
let site: { siteId: string; token: string };
let browser: Browser;
let page: Page;
let traffic: ReturnType<typeof recordTraffic>;

/** Monaco renders spaces as no-break spaces. */
const textOf = async (selector: string) => (await page.locator(selector).first().innerText()).replace(/\u00a0/g, ' ');

beforeAll(async () => {
  github = await startFakeGitHub();
  gateway = await startTestGateway({
    ...github.appEnv,
  });
  site = await gateway.createSite('GraphiQL', ['http://app.test:3000']);
  await connectService(gateway, site.token, 'GITHUB', 'http://app.test:3000/done');
  browser = await launchBrowser();
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  traffic = recordTraffic(context);
  page = await context.newPage();
});

afterAll(async () => {
  await browser?.close();
  await gateway?.close();
  await github?.close();
});

describe('GraphiQL', () => {
  it('loads with the example operations as tabs and the header editor pre-set', async () => {
    await page.goto(`${gateway.url}/graphql`);
    await page.locator('.graphiql-execute-button').waitFor({ timeout: 20_000 });
    const tabs = page.locator('.graphiql-tab-button');
    // One tab per file of client/operations, named after its first operation.
    await expect.poll(() => tabs.allTextContents()).toEqual(expect.arrayContaining(['CreateConnectLink', 'Services', 'Secrets']));
    await expect.poll(() => textOf('section.graphiql-editor-tool[aria-label="Headers"]')).toContain('YOUR_SITE_OR_FUNCTION_TOKEN');
    await expect.poll(() => textOf('.graphiql-query-editor')).toMatch(/Example operations from client\/operations\/[a-z-]+\.graphql/);
  });

  it('offers the explorer plugin, built from the schema fetched without a token', async () => {
    await page.getByRole('button', { name: 'Show GraphiQL Explorer' }).click();
    const explorer = page.locator('.graphiql-plugin');
    // It lists the root fields of the active tab's operation type (the first tab holds mutations).
    await expect.poll(() => explorer.innerText(), { timeout: 10_000 }).toMatch(/\bstartAuth\b[\s\S]*\bsignOut\b|\bme\b[\s\S]*\bsecrets\b/);
    await screenshot(page, 'graphiql-explorer', { fullPage: false });
    await page.getByRole('button', { name: 'Hide GraphiQL Explorer' }).click();
  });

  it('runs a query with a site token typed into the header editor', async () => {
    await page.getByRole('button', { name: 'New tab' }).click();
    await page.locator('.graphiql-query-editor .monaco-editor').first().click();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText('query Connected { secrets { loggedInServices { service isLoggedIn grantedScopes { scope } } } }');
    const headers = page.locator('section.graphiql-editor-tool[aria-label="Headers"] .monaco-editor[data-uri$="headers.json"]');
    await headers.click();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText(`{"Authorization": "Bearer ${site.token}"}`);
    await page.getByRole('button', { name: /^Execute query/ }).click();
    await expect.poll(() => textOf('.graphiql-response'), { timeout: 10_000 }).toContain('"GITHUB"');
    expect(await textOf('.graphiql-response')).toContain('"isLoggedIn": true');
    await screenshot(page, 'graphiql-query-result', { fullPage: false });
  });

  it('sent nothing beyond 127.0.0.1 and broke no CSP rule', () => {
    expect(traffic.requests.some((url) => url.endsWith('/graphiql/graphiql.js'))).toBe(true);
    expect(traffic.requests.some((url) => url.includes('/graphiql/workers/'))).toBe(true);
    expect(nonLoopback(traffic.requests)).toEqual([]);
    expect(traffic.problems.filter((problem) => /Content Security Policy|Refused to/i.test(problem))).toEqual([]);
  });
});

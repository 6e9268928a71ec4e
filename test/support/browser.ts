// A real browser for tests: Debian's Chromium (installed by test/global-setup.ts) driven by
// playwright-core. No browser is ever downloaded. Screenshots go to test-results/screenshots/.
import { existsSync, mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM_PATH } from '../global-setup.js';

export const SCREENSHOT_DIR = fileURLToPath(new URL('../../test-results/screenshots/', import.meta.url));

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * `popupBlocking: true` keeps Chromium's popup blocker on (Playwright turns it off by default), so a
 * test can prove a popup opens only from a user's click.
 */
export async function launchBrowser(options: { popupBlocking?: boolean } = {}): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium is missing at ${CHROMIUM_PATH}: run \`sudo apt-get install -y chromium\` (test/global-setup.ts does it when run as root).`);
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ARGS,
    ...(options.popupBlocking ? { ignoreDefaultArgs: ['--disable-popup-blocking'] } : {}),
  });
}

export async function screenshot(page: Page, name: string, options: { fullPage?: boolean } = {}): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = `${SCREENSHOT_DIR}${name}.png`;
  await page.screenshot({ path, fullPage: options.fullPage ?? true });
  return path;
}

/** Every URL the context's pages (popups included) asked for, and every console error and CSP report. */
export function recordTraffic(context: BrowserContext) {
  const requests: string[] = [];
  const problems: string[] = [];
  const watch = (page: Page) => {
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
  };
  context.on('request', (request) => requests.push(request.url()));
  context.on('page', watch);
  for (const page of context.pages()) watch(page);
  return { requests, problems };
}

/** Requests that left loopback (data: and blob: URLs never touch a network). */
export function nonLoopback(urls: readonly string[]): string[] {
  return urls.filter((url) => {
    const parsed = new URL(url);
    if (parsed.protocol === 'data:' || parsed.protocol === 'blob:' || url === 'about:blank') return false;
    return !['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname);
  });
}

/** Listens on a free loopback port; the server's origin. */
export async function listenOnLoopback(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** What a test page's #result shows once its pending call settled (the auth-helper test pages write JSON there). */
export async function pageResult(page: Page): Promise<{ ok: boolean; code?: string; value?: any; message?: string }> {
  await expect.poll(() => page.locator('#result').textContent(), { timeout: 15_000 }).not.toMatch(/^(pending|\(nothing yet\))$/);
  return JSON.parse((await page.locator('#result').textContent())!);
}

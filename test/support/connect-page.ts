// Helpers for the connect page's browser tests: a page to drive, a service card's permissions, and
// an accessibility report (text contrast, labelled controls, unique ids, heading order).
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { launchBrowser, recordTraffic } from './browser.js';

/** Chromium with a 1100×900 context whose traffic is recorded, and a page that accepts every dialog. */
export async function openConnectPageBrowser(): Promise<{ browser: Browser; context: BrowserContext; page: Page; traffic: ReturnType<typeof recordTraffic> }> {
  const browser = await launchBrowser();
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  const traffic = recordTraffic(context);
  const page = await context.newPage();
  page.on('dialog', (dialog) => void dialog.accept());
  return { browser, context, page, traffic };
}

/** Opens a service card's permissions (its <details>) unless already open. */
export async function openPermissions(card: Locator): Promise<void> {
  const details = card.locator('details');
  if (!(await details.evaluate((element) => (element as HTMLDetailsElement).open))) await details.locator('summary').click();
}

export interface AccessibilityReport {
  /** Visible texts below a contrast of 4.5:1, with their ratio. */
  low: string[];
  /** How many visible texts were checked. */
  checked: number;
  /** Visible inputs without a label and buttons without text. */
  unlabelled: string[];
  /** Ids used more than once in the document. */
  duplicateIds: string[];
  /** Heading levels that skip one (an h2 followed by an h4), in the document. */
  skipped: number[];
}

/** Checks every element below the first match of `rootSelector` (texts and controls) and the whole document (ids and headings). */
export function accessibilityReport(page: Page, rootSelector: string): Promise<AccessibilityReport> {
  return page.evaluate((selector) => {
    const channel = (value: number) => {
      const c = value / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    };
    const parse = (color: string) => (color.match(/[\d.]+/g) ?? []).map(Number);
    const luminance = ([r = 0, g = 0, b = 0]: number[]) => 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
    const background = (element: Element | null): number[] => {
      for (let node = element; node; node = node.parentElement) {
        const [r = 0, g = 0, b = 0, a = 1] = parse(getComputedStyle(node).backgroundColor);
        if (a > 0 && getComputedStyle(node).backgroundColor !== 'rgba(0, 0, 0, 0)') return [r, g, b];
      }
      return [255, 255, 255];
    };
    const root = document.querySelector(selector);
    if (!root) throw new Error(`no element matches ${selector}`);
    const low: string[] = [];
    let checked = 0;
    for (const element of root.querySelectorAll('*')) {
      const text = [...element.childNodes].filter((node) => node.nodeType === Node.TEXT_NODE).map((node) => node.textContent ?? '').join('').trim();
      if (!text || (element as HTMLElement).offsetParent === null || element.closest(':disabled')) continue;
      const foreground = luminance(parse(getComputedStyle(element).color));
      const back = luminance(background(element));
      const ratio = (Math.max(foreground, back) + 0.05) / (Math.min(foreground, back) + 0.05);
      checked += 1;
      if (ratio < 4.5) low.push(`${text.slice(0, 40)}: ${ratio.toFixed(2)}`);
    }
    const unlabelled = [...root.querySelectorAll('input, button')]
      .filter((control) => (control as HTMLElement).offsetParent !== null)
      .filter((control) => (control.tagName === 'BUTTON' ? !control.textContent?.trim() : !(control as HTMLInputElement).labels?.length))
      .map((control) => control.outerHTML.slice(0, 80));
    const ids = [...document.querySelectorAll('[id]')].map((element) => element.id);
    const duplicateIds = ids.filter((id, index) => ids.indexOf(id) !== index);
    const headings = [...document.querySelectorAll('h1, h2, h3, h4')].map((heading) => Number(heading.tagName[1]));
    const skipped = headings.filter((level, index) => index > 0 && level > headings[index - 1]! + 1);
    return { low, checked, unlabelled, duplicateIds, skipped };
  }, rootSelector);
}

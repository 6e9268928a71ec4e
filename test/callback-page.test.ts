// The page a person lands on when a provider's callback fails offers a way back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from './support/gateway.js';

let gateway: TestGateway;

beforeAll(async () => {
  gateway = await startTestGateway();
});

afterAll(async () => {
  await gateway?.close();
});

describe('a failed OAuth callback', () => {
  it('links back to the connect page, which is on the same gateway', async () => {
    const response = await fetch(`${gateway.url}/oauth/callback/github?state=forged-state-value&code=whatever`);
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain('Could not connect to GitHub');
    const link = /<a href="([^"]+)">Back to the connect page<\/a>/.exec(html);
    expect(link?.[1]).toBe('/connect');
    expect((await fetch(new URL(link![1]!, gateway.url))).status).toBe(200);
    expect(html).not.toContain('forged-state-value');
  });
});

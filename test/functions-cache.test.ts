// @latchkey/functions keeps the gateway's answer in memory until shortly before the tokens in it
// expire: a warm function stops asking the gateway on every invocation. The gateway's own metrics
// count the requests it received.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { forgetSecrets, getSecrets } from '../packages/latchkey-functions/index.js';
import { startFakeGitHub, type FakeGitHub } from './support/fake-github.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { APP_ORIGIN, connectViaFinishAuth } from './support/connect.js';

let github: FakeGitHub;
let gateway: TestGateway;
let options: { url: string; token: string; env: Record<string, string> };

/** Secrets queries the gateway has answered so far. */
async function secretsReads(): Promise<number> {
  const { body } = await gateway.gateway.services.metrics.scrape();
  const match = /^latchkey_graphql_requests_total\{operation="LatchkeyFunctionsSecrets",outcome="ok"\} (\d+)$/m.exec(body);
  return match ? Number(match[1]) : 0;
}

beforeAll(async () => {
  github = await startFakeGitHub();
  gateway = await startTestGateway(github.appEnv);
  const site = await gateway.createSite('cached functions', [APP_ORIGIN]);
  await connectViaFinishAuth(gateway.gql, site.token, 'GITHUB');
  const minted = await gateway.gql('mutation { createFunctionToken(input: { services: [GITHUB] }) { token } }', undefined, site.token);
  options = { url: gateway.url, token: minted.body.data.createFunctionToken.token, env: {} };
});

afterAll(async () => {
  await gateway?.close();
  await github?.close();
});

beforeEach(() => forgetSecrets());

describe('the in-memory cache of @latchkey/functions', () => {
  it('answers ten warm invocations with one gateway request', async () => {
    const before = await secretsReads();
    const answers = [];
    for (let i = 0; i < 10; i += 1) answers.push(await getSecrets(options));
    expect((await secretsReads()) - before).toBe(1);
    expect(new Set(answers.map((secrets) => secrets.github!.bearerToken)).size).toBe(1);
    expect(answers[9]!.github!.bearerToken).toMatch(/^ghu_/);
    // Each invocation gets its own copy.
    answers[0]!.github!.bearerToken = 'changed';
    expect((await getSecrets(options)).github!.bearerToken).toMatch(/^ghu_/);
  });

  it('asks every time with cache: false or LATCHKEY_SECRETS_CACHE=off', async () => {
    const before = await secretsReads();
    for (let i = 0; i < 3; i += 1) await getSecrets({ ...options, cache: false });
    for (let i = 0; i < 3; i += 1) await getSecrets({ ...options, env: { LATCHKEY_SECRETS_CACHE: 'off' } });
    expect((await secretsReads()) - before).toBe(6);
  });

  it('never keeps an answer past (expiresAt − margin) of a token in it', async () => {
    const { github: secret } = await getSecrets({ ...options, cache: false });
    const lifetime = Date.parse(secret!.expiresAt!) - Date.now();
    expect(lifetime).toBeGreaterThan(0);
    const before = await secretsReads();
    // A margin longer than the token's remaining life: the answer must not be reused at all.
    for (let i = 0; i < 3; i += 1) await getSecrets({ ...options, expiryMarginMs: lifetime + 60_000 });
    expect((await secretsReads()) - before).toBe(3);
  });

  it('reads afresh with fresh: true (after a provider answered 401) and keeps the fresh answer', async () => {
    await getSecrets(options);
    const before = await secretsReads();
    await getSecrets({ ...options, fresh: true });
    await getSecrets(options);
    expect((await secretsReads()) - before).toBe(1);
  });
});

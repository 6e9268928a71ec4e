// What an operator reads: JSON log lines with a request id that also reaches every GraphQL error,
// and secrets (tokens, client secrets, codes, verifiers, states) on no log line at all.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from './support/fake-github.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { APP_ORIGIN, appRedirectUri, approveAtFake } from './support/connect.js';
import { decryptSecret, secretContext } from '../src/crypto/token-cipher.js';
import { createLogger } from '../src/logger.js';

let github: FakeGitHub;
let gateway: TestGateway;

beforeAll(async () => {
  github = await startFakeGitHub();
  gateway = await startTestGateway(github.appEnv);
});

afterAll(async () => {
  await gateway?.close();
  await github?.close();
});

const parsed = () => gateway.logs.map((line) => JSON.parse(line) as Record<string, unknown>);

async function post(query: string, variables: Record<string, unknown>, token: string | undefined, requestId?: string) {
  const response = await fetch(gateway.graphqlUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(requestId ? { 'x-request-id': requestId } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  return { response, body: (await response.json()) as { data?: any; errors?: Array<{ extensions: Record<string, unknown> }> } };
}

describe('request ids', () => {
  it('puts the response header id in every GraphQL error, whatever its code', async () => {
    const unauthenticated = await post('{ secrets { github { isLoggedIn } } }', {}, 'lks_not-a-real-token');
    const id = unauthenticated.response.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(unauthenticated.body.errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED', requestId: id });

    const invalid = await post('{ nope }', {}, undefined);
    expect(invalid.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', requestId: invalid.response.headers.get('x-request-id') });
    expect(invalid.response.headers.get('x-request-id')).not.toBe(id);
  });

  it("stamps every line a request logs with its id, reusing a proxy's x-request-id", async () => {
    const site = await gateway.createSite('request ids', [APP_ORIGIN]);
    const started = await post(
      'mutation ($input: StartAuthInput!) { startAuth(input: $input) { authorizationUrl } }',
      { input: { service: 'GITHUB', redirectUri: appRedirectUri('GITHUB') } },
      site.token,
    );
    const landing = await approveAtFake(started.body.data.startAuth.authorizationUrl);
    const requestId = 'proxy-req-0123456789';
    const finished = await post(
      'mutation ($input: FinishAuthInput!) { finishAuth(input: $input) { isLoggedIn } }',
      { input: { code: landing.searchParams.get('code'), state: landing.searchParams.get('state') } },
      site.token,
      requestId,
    );
    expect(finished.body.data.finishAuth.isLoggedIn).toBe(true);
    expect(finished.response.headers.get('x-request-id')).toBe(requestId);
    const lines = parsed().filter((line) => line.requestId === requestId);
    expect(lines.map((line) => line.message)).toContain('auth.completed');
    for (const line of lines) expect(line).toMatchObject({ level: expect.any(String), time: expect.any(String), message: expect.any(String) });
  });

  it('does not reuse a caller id that could forge a log line', async () => {
    const forged = await post('{ nope }', {}, undefined, 'x"} {"level":"error"}');
    expect(forged.response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('secrets never reach a log line', () => {
  it('logs no token, client secret, code, state or PKCE verifier of a real flow', async () => {
    const site = await gateway.createSite('seeded secrets', [APP_ORIGIN]);
    const started = await post(
      'mutation ($input: StartAuthInput!) { startAuth(input: $input) { authorizationUrl attemptId } }',
      { input: { service: 'GITHUB', redirectUri: appRedirectUri('GITHUB') } },
      site.token,
    );
    const attemptId: string = started.body.data.startAuth.attemptId;
    const attempt = await gateway.gateway.db.authAttempt.findUniqueOrThrow({ where: { id: attemptId } });
    const verifier = decryptSecret(gateway.gateway.services.keyring, attempt.codeVerifier!, secretContext('AuthAttempt', 'codeVerifier', attemptId));
    const landing = await approveAtFake(started.body.data.startAuth.authorizationUrl);
    const code = landing.searchParams.get('code')!;
    const state = landing.searchParams.get('state')!;
    await post('mutation ($input: FinishAuthInput!) { finishAuth(input: $input) { isLoggedIn } }', { input: { code, state } }, site.token);
    // A replayed code and state fail, and their failure is logged too.
    await post('mutation ($input: FinishAuthInput!) { finishAuth(input: $input) { isLoggedIn } }', { input: { code, state } }, site.token);
    const fn = await post(
      'mutation { createFunctionToken(input: { label: "fn" }) { token } }',
      {},
      site.token,
    );
    const functionToken: string | undefined = fn.body.data?.createFunctionToken?.token;
    const read = await post('{ secrets { github { bearerToken } } }', {}, functionToken ?? site.token);
    const bearer: string = read.body.data.secrets.github.bearerToken;

    const secrets = [
      site.token,
      functionToken,
      gateway.adminToken,
      github.clientSecret,
      verifier,
      code,
      state,
      bearer,
      ...github.state.issuedTokens.flatMap((token) => [token.accessToken, token.refreshToken ?? '']),
    ].filter((value): value is string => Boolean(value));
    expect(secrets.length).toBeGreaterThanOrEqual(8);
    expect(gateway.logs.length).toBeGreaterThan(5);
    for (const line of gateway.logs) for (const secret of secrets) expect(line).not.toContain(secret);
  });

  it('redacts a secret-named field passed to the logger by mistake', () => {
    const lines: string[] = [];
    const logger = createLogger('debug', (line) => lines.push(line));
    logger.info('oops', { clientSecret: 'cs-123456', refreshToken: 'rt-123456', codeVerifier: 'cv-123456', service: 'github' });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'info', message: 'oops', service: 'github', clientSecret: '[redacted]' });
    expect(lines[0]).not.toMatch(/cs-123456|rt-123456|cv-123456/);
  });
});

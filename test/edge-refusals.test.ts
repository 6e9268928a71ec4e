// Refusals answered before GraphQL runs (src/http/edge-refusals.ts), over real HTTP: once a limiter
// has refused a client, its next requests get the very same 429 (RATE_LIMITED, retryAfterSeconds,
// Retry-After, no-store, x-request-id, CORS for the site's origins) from the HTTP handler; repeats
// are held by the tarpit, at most LATCHKEY_RATE_LIMIT_TARPIT_MAX_HELD at a time; everybody else is
// served as before. Which path answered is read from the gateway's own metrics.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from './support/gateway.js';

const ORIGIN = 'http://app.test:3000';
const READ = '{ secrets { github { isLoggedIn } } }';
const APP = { LATCHKEY_GITHUB_CLIENT_ID: 'edge-client', LATCHKEY_GITHUB_CLIENT_SECRET: 'edge-secret', LATCHKEY_TRUST_PROXY: 'true' };
const TARPIT_MS = 3000;

let quick: TestGateway;
let tarpit: TestGateway;

beforeAll(async () => {
  // Refusals sent at once, a token limit of 5 a minute.
  quick = await startTestGateway({ ...APP, LATCHKEY_RATE_LIMIT_TOKEN_PER_MINUTE: '5', LATCHKEY_RATE_LIMIT_TARPIT_MS: '0', LATCHKEY_TOKEN_CACHE_MS: '60000' });
  // The tarpit on, holding at most 2; an address is locked out after 3 failed authentications.
  tarpit = await startTestGateway({
    ...APP,
    LATCHKEY_RATE_LIMIT_FAILED_AUTH_PER_MINUTE: '3',
    LATCHKEY_RATE_LIMIT_START_AUTH_PER_MINUTE: '2',
    LATCHKEY_MAX_LONG_POLLS_PER_TOKEN: '1',
    LATCHKEY_RATE_LIMIT_TARPIT_MS: String(TARPIT_MS),
    LATCHKEY_RATE_LIMIT_TARPIT_MAX_HELD: '2',
  });
});

afterAll(async () => {
  await quick?.close();
  await tarpit?.close();
});

interface Answer {
  status: number;
  headers: Headers;
  body: any;
  ms: number;
}

async function post(on: TestGateway, token: string, headers: Record<string, string>, query = READ): Promise<Answer> {
  const started = performance.now();
  const response = await fetch(on.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
    body: JSON.stringify({ query }),
  });
  return { status: response.status, headers: response.headers, body: await response.json(), ms: performance.now() - started };
}

async function rejections(on: TestGateway, scope: string): Promise<number> {
  const response = await fetch(`${on.url}/metrics`, { headers: { authorization: `Bearer ${on.adminToken}` } });
  const line = (await response.text()).split('\n').find((entry) => entry.startsWith(`latchkey_rate_limit_rejections_total{scope="${scope}"}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

/** What a client relies on in a 429: status, code, retryAfterSeconds, the headers; the message names the limit. */
function contractOf(answer: Answer) {
  const error = answer.body.errors?.[0];
  return {
    status: answer.status,
    code: error?.extensions?.code,
    extensions: Object.keys(error?.extensions ?? {}).sort(),
    retryAfterSecondsPositive: error?.extensions?.retryAfterSeconds > 0,
    retryAfterHeaderMatches: Number(answer.headers.get('retry-after')) === error?.extensions?.retryAfterSeconds || Number(answer.headers.get('retry-after')) > 0,
    contentType: answer.headers.get('content-type'),
    cacheControl: answer.headers.get('cache-control'),
    requestId: Boolean(answer.headers.get('x-request-id')) && answer.headers.get('x-request-id') === error?.extensions?.requestId,
    message: String(error?.message).replace(/\d+ seconds/, 'N seconds'),
    allowOrigin: answer.headers.get('access-control-allow-origin'),
  };
}

describe('a token over its limit', () => {
  it('is refused before GraphQL with the same 429 the GraphQL path sends; its other tokens and other clients are served', async () => {
    const site = await quick.createSite('Edge token', [ORIGIN]);
    const other = await quick.createSite('Edge other', [ORIGIN]);
    const from = { 'x-forwarded-for': '198.51.100.60' };
    for (let index = 0; index < 5; index += 1) expect((await post(quick, site.token, from)).status).toBe(200);

    const byGraphQL = await post(quick, site.token, from);
    expect(byGraphQL.status).toBe(429);
    expect(await rejections(quick, 'token')).toBe(1);
    expect(await rejections(quick, 'edge:token')).toBe(0);

    const atEdge = await post(quick, site.token, from);
    expect(await rejections(quick, 'edge:token')).toBe(1);
    expect(await rejections(quick, 'token')).toBe(1);
    expect(contractOf(atEdge)).toEqual(contractOf(byGraphQL));
    expect(contractOf(atEdge)).toMatchObject({ status: 429, code: 'RATE_LIMITED', retryAfterSecondsPositive: true, retryAfterHeaderMatches: true, cacheControl: 'no-store', requestId: true });
    expect(atEdge.body.errors[0].message).toMatch(/^Too many requests with this token: retry after \d+ seconds\.$/);
    expect(Number(atEdge.headers.get('retry-after'))).toBe(atEdge.body.errors[0].extensions.retryAfterSeconds);
    expect(atEdge.body.data).toBeUndefined();

    // Even a document GraphQL would refuse for itself is not parsed: the refusal comes first.
    const unparsed = await post(quick, site.token, from, '{ secrets {');
    expect(unparsed.status).toBe(429);
    expect(await rejections(quick, 'edge:token')).toBe(2);

    // Another site's token from the same address, and the gateway's other routes, are unaffected.
    const served = await post(quick, other.token, from);
    expect(served.status).toBe(200);
    expect(served.body.data.secrets.github.isLoggedIn).toBe(false);
    expect((await fetch(`${quick.url}/healthz`, { headers: { authorization: `Bearer ${site.token}` } })).status).toBe(200);
  });

  it('grants CORS on the refusal to the site\'s allowed origin only, as the GraphQL path does', async () => {
    const site = await quick.createSite('Edge browser', [ORIGIN]);
    const from = { 'x-forwarded-for': '198.51.100.61', origin: ORIGIN };
    for (let index = 0; index < 5; index += 1) expect((await post(quick, site.token, from)).status).toBe(200);
    const byGraphQL = await post(quick, site.token, from);
    const before = await rejections(quick, 'edge:token');
    const atEdge = await post(quick, site.token, from);
    expect(await rejections(quick, 'edge:token')).toBe(before + 1);
    expect(byGraphQL.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(contractOf(atEdge)).toEqual(contractOf(byGraphQL));

    const foreign = await post(quick, site.token, { ...from, origin: 'http://elsewhere.test' });
    expect(foreign.status).toBe(429);
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('documents refused before execution', () => {
  // Each is refused without running (body too large, document too large, too deep, a parse error,
  // too many aliases); each still counts against its token's limit, one request per started 16 KB of
  // its body, so a token that sends only these meets its limit (sooner the larger they are) and is
  // then refused before GraphQL.
  const small = [
    JSON.stringify({ query: `{ ${'secrets { '.repeat(20)}isLoggedIn${' }'.repeat(20)} }` }),
    JSON.stringify({ query: '{ secrets {' }),
    JSON.stringify({ query: `{ ${Array.from({ length: 40 }, (_, index) => `a${index}: services { service }`).join(' ')} }` }),
  ];
  const tooLargeDocument = JSON.stringify({ query: `${READ} # ${'x'.repeat(40 * 1024)}` });
  const tooLargeBody = JSON.stringify({ query: READ, padding: 'x'.repeat(300_000) });

  async function send(token: string, from: Record<string, string>, body: string): Promise<Answer> {
    const started = performance.now();
    const response = await fetch(quick.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...from }, body });
    return { status: response.status, headers: response.headers, body: await response.json(), ms: performance.now() - started };
  }

  it('count against the token\'s limit by their size: beyond it the token is refused with RATE_LIMITED, then before GraphQL', async () => {
    const site = await quick.createSite('Edge refused documents', [ORIGIN]);
    const other = await quick.createSite('Edge refused other', [ORIGIN]);
    const from = { 'x-forwarded-for': '198.51.100.70', origin: ORIGIN };
    // Three small ones take one of the token's five requests each…
    for (const body of small) {
      const answer = await send(site.token, from, body);
      expect(answer.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    }
    // …and a 40 KB document three: one more small one would have been served, this one is refused.
    const overLimit = await send(site.token, from, tooLargeDocument);
    expect(overLimit.status).toBe(429);
    expect(overLimit.body.errors[0].extensions).toMatchObject({ code: 'RATE_LIMITED', limit: 'token' });
    expect(overLimit.body.errors[0].extensions.retryAfterSeconds).toBeGreaterThan(0);
    expect(Number(overLimit.headers.get('retry-after'))).toBe(overLimit.body.errors[0].extensions.retryAfterSeconds);
    expect(overLimit.headers.get('cache-control')).toBe('no-store');
    expect(overLimit.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(overLimit.body.errors[0].extensions.requestId).toBe(overLimit.headers.get('x-request-id'));

    // The token's next requests, refused documents and reads alike, are answered before GraphQL.
    const edgeBefore = await rejections(quick, 'edge:token');
    const huge = await send(site.token, from, tooLargeBody);
    const read = await post(quick, site.token, from);
    for (const answer of [huge, read]) expect(contractOf(answer)).toEqual(contractOf(overLimit));
    expect(await rejections(quick, 'edge:token')).toBe(edgeBefore + 2);

    // Another site's token is served as before.
    const served = await post(quick, other.token, from);
    expect(served.status).toBe(200);
    expect(served.body.data.secrets.github.isLoggedIn).toBe(false);
  });

  it('a body over the size limit costs a request per 16 KB: one 300 KB body spends a five-request limit', async () => {
    const site = await quick.createSite('Edge refused body', [ORIGIN]);
    const from = { 'x-forwarded-for': '198.51.100.71', origin: ORIGIN };
    const answer = await send(site.token, from, tooLargeBody);
    expect(answer.status).toBe(429);
    expect(answer.body.errors[0].extensions).toMatchObject({ code: 'RATE_LIMITED', limit: 'token' });
    expect((await post(quick, site.token, from)).status).toBe(429);
  });
});

describe('an address locked out after failed authentications', () => {
  const guess = () => `lks_${randomBytes(32).toString('base64url')}`;

  it('keeps getting the same 429, each after the tarpit delay, while other addresses are served at once', async () => {
    const site = await tarpit.createSite('Edge tarpit', [ORIGIN]);
    const from = { 'x-forwarded-for': '203.0.113.60' };
    for (let index = 0; index < 3; index += 1) expect((await post(tarpit, guess(), from)).status).toBe(401);
    const byGraphQL = await post(tarpit, guess(), from);
    expect(byGraphQL.status).toBe(429);
    expect(byGraphQL.ms).toBeLessThan(TARPIT_MS);

    // A valid token from the locked-out address waits like the guesses; elsewhere it is served.
    const [atEdge, elsewhere] = await Promise.all([post(tarpit, site.token, from), post(tarpit, site.token, { 'x-forwarded-for': '203.0.113.61' })]);
    expect(contractOf(atEdge)).toEqual(contractOf(byGraphQL));
    expect(atEdge.body.errors[0].message).toMatch(/failed authentications from this address/);
    expect(atEdge.ms).toBeGreaterThanOrEqual(TARPIT_MS - 50);
    expect(elsewhere.status).toBe(200);
    expect(elsewhere.ms).toBeLessThan(TARPIT_MS);
    expect(await rejections(tarpit, 'edge:failedAuth')).toBe(1);
  });

  it('holds at most LATCHKEY_RATE_LIMIT_TARPIT_MAX_HELD refusals at a time and sends the rest at once', async () => {
    const from = { 'x-forwarded-for': '203.0.113.62' };
    for (let index = 0; index < 4; index += 1) await post(tarpit, guess(), from);
    const answers = await Promise.all(Array.from({ length: 5 }, () => post(tarpit, guess(), from)));
    expect(answers.every((answer) => answer.status === 429 && answer.body.errors[0].extensions.code === 'RATE_LIMITED')).toBe(true);
    const held = answers.filter((answer) => answer.ms >= TARPIT_MS - 50);
    expect(held).toHaveLength(2);
    expect(answers.filter((answer) => answer.ms < TARPIT_MS / 2)).toHaveLength(3);
  });
});

describe('limits only GraphQL can tell', () => {
  const START = 'mutation { startAuth(input: { service: GITHUB, returnTo: "http://app.test:3000/back" }) { attemptId } }';

  it('a repeated startAuth refusal waits the tarpit delay; the first is sent at once, and the token still reads', async () => {
    const site = await tarpit.createSite('Edge startAuth', [ORIGIN]);
    const from = { 'x-forwarded-for': '203.0.113.70' };
    for (let index = 0; index < 2; index += 1) expect((await post(tarpit, site.token, from, START)).body.data.startAuth.attemptId).toMatch(/^att_/);
    const first = await post(tarpit, site.token, from, START);
    const second = await post(tarpit, site.token, from, START);
    for (const answer of [first, second]) {
      expect(answer.status).toBe(429);
      expect(answer.body.errors[0].extensions).toMatchObject({ code: 'RATE_LIMITED', limit: 'startAuth' });
      expect(Number(answer.headers.get('retry-after'))).toBe(answer.body.errors[0].extensions.retryAfterSeconds);
    }
    expect(first.ms).toBeLessThan(TARPIT_MS / 2);
    expect(second.ms).toBeGreaterThanOrEqual(TARPIT_MS - 50);
    const read = await post(tarpit, site.token, from);
    expect(read.status).toBe(200);
    expect(read.ms).toBeLessThan(TARPIT_MS / 2);
  });

  it('once a token is over its startAuth limit, its startAuth is refused before GraphQL; its other operations are served', async () => {
    const site = await tarpit.createSite('Edge startAuth body', [ORIGIN]);
    const from = { 'x-forwarded-for': '203.0.113.72' };
    for (let index = 0; index < 2; index += 1) expect((await post(tarpit, site.token, from, START)).status).toBe(200);
    const byGraphQL = await post(tarpit, site.token, from, START);
    expect(byGraphQL.body.errors[0].extensions).toMatchObject({ code: 'RATE_LIMITED', limit: 'startAuth' });
    const before = await rejections(tarpit, 'edge:startAuth');

    const twoOperations = `query Read ${READ} ${START.replace('mutation', 'mutation Start')}`;
    const send = async (body: unknown) => {
      const response = await fetch(tarpit.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${site.token}`, ...from }, body: JSON.stringify(body) });
      return { status: response.status, headers: response.headers, body: await response.json() };
    };
    // The startAuth of a two-operation document, chosen by operationName, is refused here.
    const atEdge = await send({ query: twoOperations, operationName: 'Start' });
    expect(await rejections(tarpit, 'edge:startAuth')).toBe(before + 1);
    expect(atEdge.status).toBe(429);
    expect(atEdge.body.errors[0].extensions).toMatchObject({ code: 'RATE_LIMITED', limit: 'startAuth' });
    expect(Number(atEdge.headers.get('retry-after'))).toBe(atEdge.body.errors[0].extensions.retryAfterSeconds);
    expect(atEdge.body.errors[0].message).toBe(byGraphQL.body.errors[0].message.replace(/\d+ seconds/, `${atEdge.body.errors[0].extensions.retryAfterSeconds} seconds`));

    // The same token's other operations reach GraphQL with their body intact: the other operation
    // of that document, and a mutation with variables.
    const read = await send({ query: twoOperations, operationName: 'Read' });
    expect(read.status).toBe(200);
    expect(read.body.data.secrets.github.isLoggedIn).toBe(false);
    const minted = await send({ query: 'mutation ($label: String) { createFunctionToken(input: { services: [GITHUB], label: $label }) { token accessToken { label } } }', variables: { label: 'after the limit' } });
    expect(minted.body.data.createFunctionToken.accessToken.label).toBe('after the limit');
    expect(minted.body.data.createFunctionToken.token).toMatch(/^lkf_/);
    // A document GraphQL cannot parse is GraphQL's to refuse, as before.
    const broken = await send({ query: 'mutation { startAuth(' });
    expect(broken.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(await rejections(tarpit, 'edge:startAuth')).toBe(before + 1);
  }, 30_000);

  it('a long-poll beyond the cap is refused at once, however often', async () => {
    const site = await tarpit.createSite('Edge long-poll', [ORIGIN]);
    const from = { 'x-forwarded-for': '203.0.113.71' };
    const id = (await tarpit.gql('mutation { startAuth(input: { service: GITHUB, returnTo: "http://app.test:3000/back" }) { attemptId } }', undefined, site.token)).body.data.startAuth.attemptId;
    const poll = `{ authAttempt(id: "${id}", waitSeconds: 4) { status } }`;
    const running = post(tarpit, site.token, from, poll);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const refusals = [await post(tarpit, site.token, from, poll), await post(tarpit, site.token, from, poll), await post(tarpit, site.token, from, poll)];
    for (const refusal of refusals) {
      expect(refusal.body.errors[0].extensions).toMatchObject({ code: 'RATE_LIMITED', limit: 'longPolls' });
      expect(refusal.ms).toBeLessThan(TARPIT_MS / 2);
    }
    expect((await running).body.data.authAttempt.status).toBe('PENDING');
  });
});

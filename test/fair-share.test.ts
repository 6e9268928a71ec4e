// Each caller's fair share of the gateway's thread (src/http/fair-share.ts): a caller sending in
// parallel has its requests wait their turn, one with a single request never waits behind it, and
// callers with a backlog take turns among themselves. First the gate alone, then through real HTTP.
import { EventEmitter } from 'node:events';
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFairShare, type FairShareSettings } from '../src/http/fair-share.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';

interface FakeExchange {
  request: IncomingMessage;
  response: ServerResponse & EventEmitter;
  /** Answers with `status` (finish, then close), as node does. */
  answer(status?: number): void;
  /** The client hangs up before an answer. */
  hangUp(): void;
}

function exchange(authorization: string | undefined, address = '192.0.2.1', url = '/graphql'): FakeExchange {
  const response = new EventEmitter() as ServerResponse & EventEmitter;
  (response as { statusCode: number }).statusCode = 200;
  const request = { url, headers: authorization ? { authorization } : {}, socket: { remoteAddress: address } } as unknown as IncomingMessage;
  return {
    request,
    response,
    answer(status = 200) {
      (response as { statusCode: number }).statusCode = status;
      response.emit('finish');
      response.emit('close');
    },
    hangUp: () => response.emit('close'),
  };
}

function gate(overrides: Partial<FairShareSettings> = {}) {
  const refused: FakeExchange['request'][] = [];
  const share = createFairShare({
    concurrency: 1,
    backloggedConcurrency: 0,
    turnMs: 60_000,
    maxWaiting: 100,
    suspectMs: 60_000,
    trustProxy: false,
    authenticates: (request) => request.url === '/graphql',
    refuse: (request) => refused.push(request),
    ...overrides,
  });
  const started: string[] = [];
  const admit = (name: string, ex: FakeExchange) => share.admit(ex.request, ex.response, () => started.push(name));
  return { share, started, refused, admit };
}

/** A credential the gate has seen answered (so it is its own caller, not its address). */
function known(admit: (name: string, ex: FakeExchange) => void, token: string, address = '192.0.2.1') {
  const first = exchange(`Bearer ${token}`, address);
  admit(`${token}:first`, first);
  first.answer(200);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** A turn passes on at the event loop's check phase: after this, it has. */
const handoff = () => new Promise((resolve) => setImmediate(resolve));

describe('the fair share, alone', () => {
  it('runs a caller\'s requests beyond its concurrency one after another, in arrival order, while another caller\'s go at once', async () => {
    const { started, admit } = gate();
    known(admit, 'a');
    known(admit, 'b');
    started.length = 0;
    const a = [1, 2, 3].map(() => exchange('Bearer a'));
    a.forEach((ex, index) => admit(`a${index + 1}`, ex));
    admit('b1', exchange('Bearer b'));
    expect(started).toEqual(['a1', 'b1']);
    a[0]!.answer();
    await handoff();
    expect(started).toEqual(['a1', 'b1', 'a2']);
    a[1]!.answer();
    await handoff();
    expect(started).toEqual(['a1', 'b1', 'a2', 'a3']);
  });

  it('lets callers with a backlog take the backlogged turns in rotation, at most backloggedConcurrency at once', async () => {
    const { started, admit } = gate({ backloggedConcurrency: 1 });
    for (const token of ['a', 'b', 'c']) known(admit, token);
    started.length = 0;
    const a = [1, 2, 3].map(() => exchange('Bearer a'));
    const b = [1, 2].map(() => exchange('Bearer b'));
    a.forEach((ex, index) => admit(`a${index + 1}`, ex));
    b.forEach((ex, index) => admit(`b${index + 1}`, ex));
    expect(started).toEqual(['a1', 'b1']);
    // a2 and b2 wait; when a1 ends, a2 takes the one backlogged turn, and b2 waits for it even though b1 ended.
    a[0]!.answer();
    b[0]!.answer();
    await handoff();
    expect(started).toEqual(['a1', 'b1', 'a2']);
    // A caller with nothing in progress never waits behind the backlog.
    admit('c1', exchange('Bearer c'));
    expect(started).toEqual(['a1', 'b1', 'a2', 'c1']);
    // a2 ends: b2 is next in the rotation, before a3.
    a[1]!.answer();
    await handoff();
    expect(started).toEqual(['a1', 'b1', 'a2', 'c1', 'b2']);
    b[1]!.answer();
    await handoff();
    expect(started).toEqual(['a1', 'b1', 'a2', 'c1', 'b2', 'a3']);
  });

  it('counts credentials it has not seen answered, and every credential from an address after a 401, as that address', async () => {
    const { started, admit } = gate();
    // Two guesses from one address share its turn.
    const guess1 = exchange('Bearer lks_guess1', '198.51.100.9');
    admit('guess1', guess1);
    admit('guess2', exchange('Bearer lks_guess2', '198.51.100.9'));
    expect(started).toEqual(['guess1']);
    guess1.answer(401);
    await handoff();
    expect(started).toEqual(['guess1', 'guess2']);
    // A valid token from that address now shares the suspect address's turn too…
    admit('valid-from-there', exchange('Bearer lks_valid', '198.51.100.9'));
    expect(started).toEqual(['guess1', 'guess2']);
    // …while the same token from elsewhere, once answered, is its own caller.
    known(admit, 'lks_valid', '203.0.113.5');
    expect(started.at(-1)).toBe('lks_valid:first');
  });

  it('ends a turn after turnMs while the event loop keeps time, so a request waiting on something else does not hold its caller', async () => {
    const { started, admit } = gate({ turnMs: 20 });
    known(admit, 'a');
    started.length = 0;
    admit('long-poll', exchange('Bearer a'));
    admit('read', exchange('Bearer a'));
    expect(started).toEqual(['long-poll']);
    await sleep(150);
    expect(started).toEqual(['long-poll', 'read']);
  });

  it('keeps a turn past turnMs when its timer fires late (this thread is the bottleneck), and ends it once the loop keeps time again', async () => {
    const { started, admit } = gate({ turnMs: 20 });
    known(admit, 'a');
    started.length = 0;
    admit('busy', exchange('Bearer a'));
    admit('next', exchange('Bearer a'));
    // The thread is busy for 100 ms: the turn's timer, due at 20 ms, fires 80 ms late.
    const until = performance.now() + 100;
    while (performance.now() < until);
    await sleep(1);
    expect(started).toEqual(['busy']);
    await sleep(150);
    expect(started).toEqual(['busy', 'next']);
  });

  it('ends a backlogged turn after turnMs even when its caller has nothing more waiting, so a long-poll never holds the backlog', async () => {
    const { started, admit } = gate({ turnMs: 20, backloggedConcurrency: 1 });
    known(admit, 'a');
    known(admit, 'b');
    started.length = 0;
    const a1 = exchange('Bearer a');
    const b1 = exchange('Bearer b');
    admit('a1', a1);
    admit('a2-long-poll', exchange('Bearer a'));
    admit('b1', b1);
    admit('b2', exchange('Bearer b'));
    a1.answer();
    b1.answer();
    await handoff();
    expect(started).toEqual(['a1', 'b1', 'a2-long-poll']);
    await sleep(150);
    expect(started).toEqual(['a1', 'b1', 'a2-long-poll', 'b2']);
  });

  it('refuses a request beyond maxWaiting, and a client that hangs up while it waits leaves the queue', async () => {
    const { started, refused, admit } = gate({ maxWaiting: 2 });
    known(admit, 'a');
    started.length = 0;
    const running = exchange('Bearer a');
    const gone = exchange('Bearer a');
    const waiting = exchange('Bearer a');
    const beyond = exchange('Bearer a');
    admit('running', running);
    admit('gone', gone);
    admit('waiting', waiting);
    admit('beyond', beyond);
    expect(refused).toEqual([beyond.request]);
    gone.hangUp();
    running.answer();
    await handoff();
    expect(started).toEqual(['running', 'waiting']);
    expect(started).not.toContain('gone');
  });

  // A waiting request's body has usually arrived: admitted inside the callbacks of the one that
  // ended, a backlog of quick requests would run back to back without the event loop polling once.
  it('hands a turn on only once the event loop has polled, so a backlog of quick requests never runs back to back', async () => {
    const { share, admit } = gate();
    known(admit, 'a');
    const order: string[] = [];
    const first = exchange('Bearer a');
    share.admit(first.request, first.response, () => order.push('a1'));
    // Each waiting request is answered as soon as it starts, as a refusal or a cached answer is.
    [2, 3].forEach((number) => {
      const ex = exchange('Bearer a');
      share.admit(ex.request, ex.response, () => {
        order.push(`a${number}`);
        ex.answer();
      });
    });
    first.answer();
    expect(order).toEqual(['a1']);
    // One turn per pass of the event loop: between them it polls (other clients' requests).
    await handoff();
    expect(order).toEqual(['a1', 'a2']);
    await handoff();
    expect(order).toEqual(['a1', 'a2', 'a3']);
  });

  // The gateway often answers within the pass that read a request (a refusal, a 401 from SQLite, a
  // cached token): thirty connections' requests read in one poll would each find their caller idle.
  it("starts one request of a caller per pass of the event loop, even when the caller's last one has ended", async () => {
    const { share, started, admit } = gate({ concurrency: 2 });
    const guesses = [1, 2, 3].map(() => exchange('Bearer lks_random', '198.51.100.7'));
    guesses.forEach((ex, index) => share.admit(ex.request, ex.response, () => {
      started.push(`guess${index + 1}`);
      ex.answer(401);
    }));
    // Another caller's request in the same pass goes at once.
    admit('other', exchange('Bearer lks_other', '203.0.113.8'));
    expect(started).toEqual(['guess1', 'other']);
    await handoff();
    expect(started).toEqual(['guess1', 'other', 'guess2']);
    await handoff();
    expect(started).toEqual(['guess1', 'other', 'guess2', 'guess3']);
  });

  it('learns that a credential is valid only from a route that authenticates it, not from a health check', async () => {
    const { started, admit } = gate();
    // Answered 200 by /healthz, which reads no token: still its address's, sharing one turn.
    const probe = exchange('Bearer lks_guess', '198.51.100.20', '/healthz');
    admit('probe', probe);
    probe.answer(200);
    const first = exchange('Bearer lks_guess', '198.51.100.20');
    admit('first', first);
    admit('from-same-address', exchange('Bearer lks_other', '198.51.100.20'));
    await handoff();
    expect(started).toEqual(['probe', 'first']);
    first.answer(200);
    await handoff();
    expect(started).toEqual(['probe', 'first', 'from-same-address']);
    // Answered 200 by /graphql: now its own caller, no longer sharing the address's turn.
    const busy = exchange('Bearer lks_other', '198.51.100.20');
    admit('busy', busy);
    await handoff();
    admit('known', exchange('Bearer lks_guess', '198.51.100.20'));
    expect(started.at(-1)).toBe('known');
  });

  it('lets requests without a credential and every request with concurrency 0 through at once', () => {
    const open = gate();
    open.admit('page', exchange(undefined));
    open.admit('page2', exchange(undefined));
    expect(open.started).toEqual(['page', 'page2']);
    const off = gate({ concurrency: 0 });
    off.admit('a1', exchange('Bearer a'));
    off.admit('a2', exchange('Bearer a'));
    expect(off.started).toEqual(['a1', 'a2']);
  });
});

describe('the fair share, through HTTP', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway({
      LATCHKEY_GITHUB_CLIENT_ID: 'fair-client',
      LATCHKEY_GITHUB_CLIENT_SECRET: 'fair-secret',
      LATCHKEY_RATE_LIMIT_CONCURRENT_PER_TOKEN: '1',
      LATCHKEY_RATE_LIMIT_CONCURRENT_TURN_MS: '60000',
      LATCHKEY_RATE_LIMIT_CONCURRENT_MAX_WAITING: '1',
    });
  });
  afterAll(async () => {
    await gateway?.close();
  });

  async function graphql(token: string, query: string) {
    const response = await fetch(gateway.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query }) });
    return { status: response.status, headers: response.headers, body: (await response.json()) as { data?: any; errors?: Array<{ message: string; extensions: Record<string, unknown> }> } };
  }

  /** A request whose body arrives slowly: it holds its caller's turn until `finish()` sends the rest. */
  function slowBody(token: string, query: string) {
    const body = JSON.stringify({ query });
    const half = Math.floor(body.length / 2);
    const request = httpRequest(gateway.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), authorization: `Bearer ${token}` } });
    const answered = new Promise<{ status: number; body: any }>((resolve, reject) => {
      request.on('response', (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
      });
      request.on('error', reject);
    });
    request.write(body.slice(0, half));
    return { answered, finish: () => request.end(body.slice(half)) };
  }

  it('queues a token\'s requests behind its one in progress, refuses beyond the queue with RATE_LIMITED, and serves other tokens meanwhile', async () => {
    const site = await gateway.createSite('Fair share');
    const other = await gateway.createSite('Fair share other');
    const READ = '{ secrets { github { isLoggedIn } } }';
    expect((await graphql(site.token, READ)).status).toBe(200);

    // A request whose body is still arriving holds the token's one turn (turnMs is a minute here).
    const holder = slowBody(site.token, READ);
    await sleep(200);
    let readDone = false;
    const queued = graphql(site.token, READ).then((answer) => ((readDone = true), answer));
    await sleep(200);
    // One waits; the next is refused at once.
    const beyond = await graphql(site.token, READ);
    expect(beyond.status).toBe(429);
    expect(beyond.body.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', limit: 'concurrent', retryAfterSeconds: 1 });
    expect(beyond.headers.get('retry-after')).toBe('1');
    expect(beyond.headers.get('cache-control')).toBe('no-store');
    // Another site's token is served while this one's wait.
    const served = await graphql(other.token, READ);
    expect(served.status).toBe(200);
    expect(readDone).toBe(false);

    // Once the holder is answered, the queued read runs.
    holder.finish();
    expect((await holder.answered).status).toBe(200);
    const read = await queued;
    expect(read.status).toBe(200);
    expect(read.body.data.secrets.github.isLoggedIn).toBe(false);
  });

  it('a long-poll gives its turn back once it waits: the token\'s next request is served meanwhile', async () => {
    const site = await gateway.createSite('Fair share long-poll');
    const attemptId = (await graphql(site.token, 'mutation { startAuth(input: { service: GITHUB }) { attemptId } }')).body.data.startAuth.attemptId;
    let pollDone = false;
    const poll = graphql(site.token, `{ authAttempt(id: "${attemptId}", waitSeconds: 2) { status } }`).then((answer) => ((pollDone = true), answer));
    await sleep(200);
    const read = await graphql(site.token, '{ secrets { github { isLoggedIn } } }');
    expect(read.status).toBe(200);
    expect(pollDone).toBe(false);
    expect((await poll).body.data.authAttempt.status).toBe('PENDING');
  });
});

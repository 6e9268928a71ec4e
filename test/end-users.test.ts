// End users and several accounts, over real HTTP against the local GitHub fake: who a connection
// belongs to (the site or one end user), which account of the provider it is, and what each kind
// of caller may see.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from './support/fake-github.js';
import { followRedirects, startTestGateway, type TestGateway } from './support/gateway.js';
import { startReceiver, type Receiver } from './support/webhook-receiver.js';

const ORIGIN = 'http://app.test:3000';

let github: FakeGitHub;
let gateway: TestGateway;
let site: { siteId: string; token: string };
let otherSite: { siteId: string; token: string };
let originalUser: FakeGitHub['state']['user'];
let receiver: Receiver;

/** Connects `endUser` (or the site, when null) as the fake's user with this id; returns the callback response. */
async function connect(endUser: string | null, userId: number, token = site.token, extra: Record<string, unknown> = {}) {
  github.state.user = { ...originalUser, id: userId, login: `user${userId}` };
  const started = await gateway.gql(
    'mutation ($input: StartAuthInput!) { startAuth(input: $input) { authorizationUrl attemptId } }',
    { input: { service: 'GITHUB', returnTo: `${ORIGIN}/done`, ...(endUser === null ? {} : { endUser }), ...extra } },
    token,
  );
  expect(started.body.errors).toBeUndefined();
  const { final, cookie } = await followRedirects(started.body.data.startAuth.authorizationUrl, (url) => url.pathname.startsWith('/oauth/callback/'));
  const response = await fetch(final, { redirect: 'manual', headers: { cookie } });
  return { response, attemptId: started.body.data.startAuth.attemptId as string };
}

const SECRET_FIELDS = 'isLoggedIn bearerToken foreignUserId connectionId endUser account';

beforeAll(async () => {
  [github, receiver] = await Promise.all([startFakeGitHub(), startReceiver()]);
  originalUser = { ...github.state.user };
  gateway = await startTestGateway({ ...github.appEnv, LATCHKEY_WEBHOOK_POLL_MS: '200' });
  site = await gateway.createSite('End users', [ORIGIN]);
  otherSite = await gateway.createSite('Another site', [ORIGIN]);
});

afterAll(async () => {
  await gateway?.close();
  await Promise.all([github?.close(), receiver?.close()]);
});

describe('endUser', () => {
  it.each(['', 'has space', 'x'.repeat(129), 'semi;colon', 'ünïcode', 'a/b'])('refuses %j with BAD_USER_INPUT naming the rule', async (endUser) => {
    const read = await gateway.gql('query ($e: String) { secrets(endUser: $e) { github { isLoggedIn } } }', { e: endUser }, site.token);
    expect(read.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(read.body.errors?.[0]?.message).toContain('1 to 128 characters of A-Z a-z 0-9 . _ : @ + | -');
    const start = await gateway.gql('mutation ($e: String) { startAuth(input: { service: GITHUB, endUser: $e }) { attemptId } }', { e: endUser }, site.token);
    expect(start.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('accepts every allowed character, up to 128 of them', async () => {
    for (const endUser of ['a', 'A-Z.a_z:0@9+x|y-', 'x'.repeat(128), 'alice@example.com']) {
      const read = await gateway.gql('query ($e: String) { secrets(endUser: $e) { github { isLoggedIn endUser } } }', { e: endUser }, site.token);
      expect(read.body.errors).toBeUndefined();
      expect(read.body.data.secrets.github).toEqual({ isLoggedIn: false, endUser });
    }
  });
});

describe('owners and accounts', () => {
  it('keeps the site, each end user and each account apart; the same account again replaces its tokens', async () => {
    const own = await connect(null, 100);
    expect(own.response.status).toBe(302);
    const first = await connect('alice', 201);
    expect(new URL(first.response.headers.get('location')!).searchParams.get('latchkey_status')).toBe('success');

    const q = `query ($e: String, $a: String) { secrets(endUser: $e) { github(account: $a) { ${SECRET_FIELDS} } } }`;
    const alice = (await gateway.gql(q, { e: 'alice' }, site.token)).body.data.secrets.github;
    expect(alice).toMatchObject({ isLoggedIn: true, foreignUserId: '201', endUser: 'alice', account: '201' });
    const mine = (await gateway.gql(q, {}, site.token)).body.data.secrets.github;
    expect(mine).toMatchObject({ isLoggedIn: true, foreignUserId: '100', endUser: null, account: '100' });
    expect(mine.bearerToken).not.toBe(alice.bearerToken);
    expect(mine.connectionId).not.toBe(alice.connectionId);

    // A second account adds a connection and becomes the default; the first is still there by account.
    await connect('alice', 202);
    const second = (await gateway.gql(q, { e: 'alice' }, site.token)).body.data.secrets.github;
    expect(second).toMatchObject({ isLoggedIn: true, account: '202' });
    expect(second.connectionId).not.toBe(alice.connectionId);
    const byAccount = (await gateway.gql(q, { e: 'alice', a: '201' }, site.token)).body.data.secrets.github;
    expect(byAccount).toMatchObject({ isLoggedIn: true, account: '201', connectionId: alice.connectionId, bearerToken: alice.bearerToken });

    // The same account again: same connection, new tokens, and it is the most recent again.
    await connect('alice', 201);
    const again = (await gateway.gql(q, { e: 'alice' }, site.token)).body.data.secrets.github;
    expect(again).toMatchObject({ account: '201', connectionId: alice.connectionId });
    expect(again.bearerToken).not.toBe(alice.bearerToken);
    const rows = await gateway.gql('query { connections(endUser: "alice") { nodes { id account } } }', {}, site.token);
    expect(rows.body.data.connections.nodes.map((node: { account: string }) => node.account).sort()).toEqual(['201', '202']);

    // An account the owner does not have reads as not logged in, never as another owner's.
    const missing = (await gateway.gql(q, { e: 'alice', a: '100' }, site.token)).body.data.secrets.github;
    expect(missing).toMatchObject({ isLoggedIn: false, bearerToken: null, connectionId: null, endUser: 'alice' });
    // The site's own connection and `me` are unchanged.
    expect((await gateway.gql(q, {}, site.token)).body.data.secrets.github).toMatchObject({ account: '100', bearerToken: mine.bearerToken });
    const me = await gateway.gql('query { me { serviceMetadata { loggedInServices { service foreignUserId bearerToken } } } }', {}, site.token);
    expect(me.body.data.me.serviceMetadata.loggedInServices).toEqual([{ service: 'GITHUB', foreignUserId: '100', bearerToken: mine.bearerToken }]);
  });

  it("keeps one site's end user apart from another site's end user of the same name", async () => {
    await connect('bob', 301);
    const q = 'query { secrets(endUser: "bob") { github { isLoggedIn foreignUserId } } }';
    expect((await gateway.gql(q, {}, site.token)).body.data.secrets.github).toEqual({ isLoggedIn: true, foreignUserId: '301' });
    expect((await gateway.gql(q, {}, otherSite.token)).body.data.secrets.github).toEqual({ isLoggedIn: false, foreignUserId: null });
  });

  it('signs one end user out of one account only', async () => {
    await connect('carol', 401);
    await connect('carol', 402);
    const out = await gateway.gql('mutation { signOut(service: GITHUB, endUser: "carol", account: "401") { isLoggedIn account status } }', {}, site.token);
    expect(out.body.data.signOut).toEqual({ isLoggedIn: false, account: '401', status: 'REVOKED' });
    const q = 'query ($a: String) { secrets(endUser: "carol") { github(account: $a) { isLoggedIn account } } }';
    expect((await gateway.gql(q, {}, site.token)).body.data.secrets.github).toEqual({ isLoggedIn: true, account: '402' });
    expect((await gateway.gql(q, { a: '401' }, site.token)).body.data.secrets.github).toEqual({ isLoggedIn: false, account: '401' });
  });
});

const PAGE = `query ($e: String, $s: String, $st: ConnectionStatus, $first: Int, $after: String) {
  connections(endUser: $e, service: $s, status: $st, first: $first, after: $after) {
    nodes { id service endUser account foreignUserId status isLoggedIn credentialType basicAuth { username } createdAt updatedAt }
    pageInfo { hasNextPage endCursor }
  }
}`;

describe('connections, connection and disconnect', () => {
  it('pages newest first with an opaque cursor, and filters combine', async () => {
    for (const id of [501, 502, 503, 504, 505]) await connect('pager', id);
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const result: any = await gateway.gql(PAGE, { e: 'pager', first: 2, after }, site.token);
      expect(result.body.errors).toBeUndefined();
      const page = result.body.data.connections;
      seen.push(...page.nodes.map((node: { account: string }) => node.account));
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
      pages += 1;
    } while (after);
    expect(seen).toEqual(['505', '504', '503', '502', '501']);
    expect(pages).toBe(3);
    const first = (await gateway.gql(PAGE, { e: 'pager', first: 1 }, site.token)).body.data.connections.nodes[0];
    expect(first).toMatchObject({ service: 'github', endUser: 'pager', account: '505', status: 'ACTIVE', isLoggedIn: true, credentialType: 'OAUTH2', basicAuth: null });

    expect((await gateway.gql(PAGE, { e: 'pager', s: 'spotify' }, site.token)).body.data.connections.nodes).toEqual([]);
    expect((await gateway.gql(PAGE, { e: 'pager', s: 'github', st: 'REVOKED' }, site.token)).body.data.connections.nodes).toEqual([]);
    expect((await gateway.gql(PAGE, { e: 'pager', s: 'github', st: 'ACTIVE' }, site.token)).body.data.connections.nodes).toHaveLength(5);
    // Without endUser the site token sees every owner's; the other site sees none of them.
    const all = (await gateway.gql(PAGE, { first: 200 }, site.token)).body.data.connections.nodes;
    expect(new Set(all.map((node: { endUser: string | null }) => node.endUser))).toEqual(new Set([null, 'alice', 'bob', 'carol', 'pager']));
    expect((await gateway.gql(PAGE, {}, otherSite.token)).body.data.connections.nodes).toEqual([]);
  });

  it('refuses a malformed service, page size or cursor with BAD_USER_INPUT', async () => {
    for (const variables of [{ s: 'GitHub' }, { s: 'nope' }, { first: 0 }, { first: 1000 }, { after: 'not-a-cursor' }]) {
      const result = await gateway.gql(PAGE, variables, site.token);
      expect(result.body.errors?.[0]?.extensions?.code, JSON.stringify(variables)).toBe('BAD_USER_INPUT');
    }
  });

  it("answers null for another site's connection and NOT_FOUND, with no hint, when disconnecting it", async () => {
    const theirs = await connect(null, 601, otherSite.token);
    expect(theirs.response.status).toBe(302);
    const id = (await gateway.gql('query { secrets { github { connectionId } } }', {}, otherSite.token)).body.data.secrets.github.connectionId;
    const read = await gateway.gql('query ($id: ID!) { connection(id: $id) { id } }', { id }, site.token);
    expect(read.body).toEqual({ data: { connection: null } });
    const attack = await gateway.gql('mutation ($id: ID!) { disconnect(id: $id) { id } }', { id }, site.token);
    const unknown = await gateway.gql('mutation ($id: ID!) { disconnect(id: $id) { id } }', { id: 'conn_doesnotexist' }, site.token);
    expect(attack.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(attack.body.errors?.[0]?.message.replace(id, 'X')).toBe(unknown.body.errors?.[0]?.message.replace('conn_doesnotexist', 'X'));
    expect((await gateway.gql('query { secrets { github { isLoggedIn } } }', {}, otherSite.token)).body.data.secrets.github.isLoggedIn).toBe(true);
  });

  it('disconnects one connection: revoked at the provider, its tokens forgotten, the others kept', async () => {
    await connect('erin', 701);
    await connect('erin', 702);
    const nodes = (await gateway.gql(PAGE, { e: 'erin' }, site.token)).body.data.connections.nodes;
    const target = nodes.find((node: { account: string }) => node.account === '701');
    const revocations = github.state.revocationRequests;
    const result = await gateway.gql('mutation ($id: ID!) { disconnect(id: $id) { id status isLoggedIn bearerToken account } }', { id: target.id }, site.token);
    expect(result.body.data.disconnect).toEqual({ id: target.id, status: 'REVOKED', isLoggedIn: false, bearerToken: null, account: '701' });
    expect(github.state.revocationRequests).toBe(revocations + 1);
    const again = await gateway.gql('query ($id: ID!) { connection(id: $id) { status } }', { id: target.id }, site.token);
    expect(again.body.data.connection).toEqual({ status: 'REVOKED' });
    const q = 'query ($a: String) { secrets(endUser: "erin") { github(account: $a) { isLoggedIn account } } }';
    expect((await gateway.gql(q, { a: '702' }, site.token)).body.data.secrets.github).toEqual({ isLoggedIn: true, account: '702' });
  });
});

describe('tokens bound to an end user', () => {
  it('a function token minted for an end user addresses that end user only', async () => {
    const minted = await gateway.gql('mutation { createFunctionToken(input: { endUser: "alice" }) { token accessToken { endUser } } }', {}, site.token);
    expect(minted.body.data.createFunctionToken.accessToken.endUser).toBe('alice');
    const token = minted.body.data.createFunctionToken.token;
    const mine = await gateway.gql('query { secrets { github { isLoggedIn endUser bearerToken } } }', {}, token);
    expect(mine.body.data.secrets.github).toMatchObject({ isLoggedIn: true, endUser: 'alice' });
    expect(mine.body.data.secrets.github.bearerToken).toMatch(/\S+/);
    expect((await gateway.gql('query { secrets(endUser: "alice") { github { endUser } } }', {}, token)).body.data.secrets.github.endUser).toBe('alice');
    for (const query of ['query { secrets(endUser: "bob") { github { isLoggedIn } } }', 'query { connections(endUser: "bob") { nodes { id } } }']) {
      const other = await gateway.gql(query, {}, token);
      expect(other.body.errors?.[0]?.extensions?.code, query).toBe('FORBIDDEN');
    }
    const listed = (await gateway.gql(PAGE, {}, token)).body.data.connections.nodes;
    expect(listed.length).toBeGreaterThan(0);
    expect(listed.every((node: { endUser: string }) => node.endUser === 'alice')).toBe(true);
    const bad = await gateway.gql('mutation { createFunctionToken(input: { endUser: "no spaces" }) { token } }', {}, site.token);
    expect(bad.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('a connect session starts, sees and disconnects its end user\'s connections of its services, and nothing else', async () => {
    const created = await gateway.gql(
      'mutation { createConnectSession(input: { endUser: "dave", services: ["github"] }) { token connectUrl expiresAt } }',
      {},
      site.token,
    );
    expect(created.body.errors).toBeUndefined();
    const session = created.body.data.createConnectSession;
    expect(session.token).toMatch(/^lkc_/);
    expect(session.connectUrl).toBe(`${gateway.publicUrl}/connect#token=${session.token}`);
    expect(new Date(session.expiresAt).getTime() - Date.now()).toBeGreaterThan(800_000);
    expect((await gateway.gql('query { boundEndUser }', {}, session.token)).body.data.boundEndUser).toBe('dave');

    const done = await connect(null, 801, session.token);
    expect(new URL(done.response.headers.get('location')!).searchParams.get('latchkey_status')).toBe('success');
    const state = await gateway.gql('query { secrets { github { isLoggedIn endUser account connectionId } } }', {}, session.token);
    expect(state.body.data.secrets.github).toMatchObject({ isLoggedIn: true, endUser: 'dave', account: '801' });
    expect((await gateway.gql('query { secrets(endUser: "dave") { github { account } } }', {}, site.token)).body.data.secrets.github.account).toBe('801');

    const forbidden = [
      'query { secrets { github { bearerToken } } }',
      'query { connections { nodes { bearerToken } } }',
      'query { secrets(endUser: "alice") { github { isLoggedIn } } }',
      'mutation { startAuth(input: { service: SPOTIFY }) { attemptId } }',
      'mutation { startAuth(input: { service: GITHUB, endUser: "alice" }) { attemptId } }',
      'query { github { viewer { login } } }',
      'mutation { createConnectSession(input: { endUser: "x" }) { token } }',
    ];
    for (const query of forbidden) {
      const result = await gateway.gql(query, {}, session.token);
      expect(result.body.errors?.[0]?.extensions?.code, query).toBe('FORBIDDEN');
    }
    const aliceId = (await gateway.gql('query { secrets(endUser: "alice") { github { connectionId } } }', {}, site.token)).body.data.secrets.github.connectionId;
    expect((await gateway.gql('query ($id: ID!) { connection(id: $id) { id } }', { id: aliceId }, session.token)).body.data.connection).toBeNull();
    const notHers = await gateway.gql('mutation ($id: ID!) { disconnect(id: $id) { id } }', { id: aliceId }, session.token);
    expect(notHers.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const out = await gateway.gql('mutation ($id: ID!) { disconnect(id: $id) { status } }', { id: state.body.data.secrets.github.connectionId }, session.token);
    expect(out.body.data.disconnect).toEqual({ status: 'REVOKED' });

    const badService = await gateway.gql('mutation { createConnectSession(input: { endUser: "dave", services: ["myspace"] }) { token } }', {}, site.token);
    expect(badService.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('webhooks', () => {
  it('connection events carry connectionId, endUser and account', async () => {
    const created = await gateway.gql(
      'mutation ($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { endpoint { id } } }',
      { input: { url: `${receiver.url}/end-users` } },
      otherSite.token,
    );
    expect(created.body.errors).toBeUndefined();
    const endpointId = created.body.data.createWebhookEndpoint.endpoint.id;
    await connect('gina', 901, otherSite.token);
    await connect(null, 902, otherSite.token);
    const deliveries = await gateway.gql('query ($id: ID!) { webhookDeliveries(endpointId: $id, first: 10) { event payload } }', { id: endpointId }, otherSite.token);
    const data = deliveries.body.data.webhookDeliveries
      .filter((delivery: { payload: string }) => JSON.parse(delivery.payload).type === 'connection.created')
      .map((delivery: { payload: string }) => JSON.parse(delivery.payload).data);
    expect(data.map((entry: any) => [entry.endUser, entry.account])).toEqual(expect.arrayContaining([['gina', '901'], [null, '902']]));
    expect(data.every((entry: any) => typeof entry.connectionId === 'string')).toBe(true);
  });
});

describe('end-user verification', () => {
  let verified: { siteId: string; token: string };

  beforeAll(async () => {
    verified = await gateway.createSite('Verifying', [ORIGIN]);
  });

  it('refuses a verify URL off the allowed origins', async () => {
    for (const url of ['https://evil.example/verify', 'not a url', `${ORIGIN}/verify#frag`]) {
      const result = await gateway.gql('mutation ($u: String) { updateSite(input: { endUserVerifyUrl: $u }) { id } }', { u: url }, verified.token);
      expect(result.body.errors?.[0]?.extensions?.code, url).toBe('BAD_USER_INPUT');
    }
    const set = await gateway.gql('mutation { updateSite(input: { endUserVerifyUrl: "' + ORIGIN + '/verify?x=1" }) { endUserVerifyUrl } }', {}, verified.token);
    expect(set.body.data.updateSite.endUserVerifyUrl).toBe(`${ORIGIN}/verify?x=1`);
    // Removing the origin it lives on is refused too.
    const shrink = await gateway.gql('mutation { updateSite(input: { allowedOrigins: ["https://other.example"] }) { id } }', {}, verified.token);
    expect(shrink.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  const ATTEMPT = 'query ($id: ID!) { authAttempt(id: $id) { status error endUser } }';
  const LOGGED_IN = 'query { secrets(endUser: "frank") { github { isLoggedIn account } } }';

  it('holds the tokens until the site confirms the same end user; another end user fails with FORBIDDEN and stores nothing', async () => {
    const phished = await connect('frank', 1001, verified.token);
    expect(phished.response.status).toBe(302);
    const landing = new URL(phished.response.headers.get('location')!);
    expect(`${landing.origin}${landing.pathname}`).toBe(`${ORIGIN}/verify`);
    expect(landing.searchParams.get('x')).toBe('1');
    expect(landing.searchParams.get('latchkey_attempt')).toBe(phished.attemptId);
    expect((await gateway.gql(ATTEMPT, { id: phished.attemptId }, verified.token)).body.data.authAttempt).toEqual({ status: 'AWAITING_VERIFICATION', error: null, endUser: 'frank' });
    expect((await gateway.gql(LOGGED_IN, {}, verified.token)).body.data.secrets.github).toEqual({ isLoggedIn: false, account: null });
    const held = await gateway.gateway.db.authAttempt.findUniqueOrThrow({ where: { id: phished.attemptId } });
    expect(held.heldTokens).toBeTruthy();
    expect(held.heldTokens).not.toContain(github.state.issuedTokens.at(-1)!.accessToken);

    const CONFIRM = 'mutation ($id: ID!, $e: String!) { confirmEndUser(input: { attemptId: $id, endUser: $e }) { id status } }';
    const wrong = await gateway.gql(CONFIRM, { id: phished.attemptId, e: 'mallory' }, verified.token);
    expect(wrong.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await gateway.gql(ATTEMPT, { id: phished.attemptId }, verified.token)).body.data.authAttempt.status).toBe('FAILED');
    expect((await gateway.gql(LOGGED_IN, {}, verified.token)).body.data.secrets.github.isLoggedIn).toBe(false);
    expect((await gateway.gateway.db.authAttempt.findUniqueOrThrow({ where: { id: phished.attemptId } })).heldTokens).toBeNull();
    // A failed attempt cannot be confirmed afterwards by the right end user either.
    expect((await gateway.gql(CONFIRM, { id: phished.attemptId, e: 'frank' }, verified.token)).body.errors?.[0]?.extensions?.code).toBe('AUTH_STATE_INVALID');

    const genuine = await connect('frank', 1002, verified.token);
    const ok = await gateway.gql(CONFIRM, { id: genuine.attemptId, e: 'frank' }, verified.token);
    expect(ok.body.data.confirmEndUser).toEqual({ id: genuine.attemptId, status: 'COMPLETED' });
    expect((await gateway.gql(LOGGED_IN, {}, verified.token)).body.data.secrets.github).toEqual({ isLoggedIn: true, account: '1002' });
    // Another site cannot confirm it, and the site's own connections are not verified.
    expect((await gateway.gql(CONFIRM, { id: genuine.attemptId, e: 'frank' }, site.token)).body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const own = await connect(null, 1003, verified.token);
    expect(new URL(own.response.headers.get('location')!).searchParams.get('latchkey_status')).toBe('success');
  });

  it('an unconfirmed attempt expires, stores nothing and erases its held tokens', async () => {
    const pending = await connect('henry', 1101, verified.token);
    await gateway.gateway.db.authAttempt.update({ where: { id: pending.attemptId }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect((await gateway.gql(ATTEMPT, { id: pending.attemptId }, verified.token)).body.data.authAttempt.status).toBe('EXPIRED');
    const late = await gateway.gql('mutation ($id: ID!) { confirmEndUser(input: { attemptId: $id, endUser: "henry" }) { status } }', { id: pending.attemptId }, verified.token);
    expect(late.body.errors?.[0]?.extensions?.code).toBe('AUTH_STATE_INVALID');
    expect((await gateway.gateway.db.authAttempt.findUniqueOrThrow({ where: { id: pending.attemptId } })).heldTokens).toBeNull();
    expect((await gateway.gql('query { secrets(endUser: "henry") { github { isLoggedIn } } }', {}, verified.token)).body.data.secrets.github.isLoggedIn).toBe(false);
  });
});

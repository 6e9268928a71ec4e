// End users and several accounts, over real HTTP against the local GitHub fake: who a connection
// belongs to (the site or one end user), which account of the provider it is, and what each kind
// of caller may see.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from './support/fake-github.js';
import { followRedirects, startTestGateway, type TestGateway } from './support/gateway.js';

const ORIGIN = 'http://app.test:3000';

let github: FakeGitHub;
let gateway: TestGateway;
let site: { siteId: string; token: string };
let otherSite: { siteId: string; token: string };
let originalUser: FakeGitHub['state']['user'];

/** Connects `endUser` (or the site, when null) as the fake's user with this id; returns the callback response. */
async function connect(endUser: string | null, userId: number, token = site.token, extra: Record<string, unknown> = {}) {
  github.state.user = { ...originalUser, id: userId, login: `user${userId}` };
  const started = await gateway.gql(
    'mutation ($input: StartAuthInput!) { startAuth(input: $input) { authorizationUrl attemptId } }',
    { input: { service: 'GITHUB', returnTo: `${ORIGIN}/done`, ...(endUser === null ? {} : { endUser }), ...extra } },
    token,
  );
  expect(started.body.errors).toBeUndefined();
  const { final } = await followRedirects(started.body.data.startAuth.authorizationUrl, (url) => url.pathname.startsWith('/oauth/callback/'));
  const response = await fetch(final, { redirect: 'manual' });
  return { response, attemptId: started.body.data.startAuth.attemptId as string };
}

const SECRET_FIELDS = 'isLoggedIn bearerToken foreignUserId connectionId endUser account';

beforeAll(async () => {
  github = await startFakeGitHub();
  originalUser = { ...github.state.user };
  gateway = await startTestGateway({ ...github.appEnv });
  site = await gateway.createSite('End users', [ORIGIN]);
  otherSite = await gateway.createSite('Another site', [ORIGIN]);
});

afterAll(async () => {
  await gateway?.close();
  await github?.close();
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

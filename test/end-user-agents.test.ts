// End users through the agent surfaces: the proxy and the MCP server act for the end user a token
// is bound to (or that the site names), never for another. Real HTTP, the SDK's own MCP client, the
// local GitHub fake.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { startFakeGitHub, type FakeGitHub } from './support/fake-github.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { connectThroughSession, connectViaCallback } from './support/connect.js';

const ORIGIN = 'http://app.test:3000';

let github: FakeGitHub;
let gateway: TestGateway;
let site: { siteId: string; token: string };
const clients: Client[] = [];

async function agentWith(token: string): Promise<Client> {
  const client = new Client({ name: 'end-user-agent', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${gateway.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  clients.push(client);
  return client;
}

const call = async (client: Client, name: string, args: Record<string, unknown> = {}) =>
  (await client.callTool({ name, arguments: args })) as CallToolResult;

async function boundToken(endUser: string): Promise<string> {
  const created = await gateway.gql('mutation ($e: String) { createFunctionToken(input: { endUser: $e }) { token } }', { e: endUser }, site.token);
  expect(created.body.errors).toBeUndefined();
  return created.body.data.createFunctionToken.token;
}

beforeAll(async () => {
  github = await startFakeGitHub();
  gateway = await startTestGateway({ ...github.appEnv });
  site = await gateway.createSite('Agents for end users', [ORIGIN]);
});

afterAll(async () => {
  await Promise.allSettled(clients.map((client) => client.close()));
  await gateway?.close();
  await github?.close();
});

describe('MCP with a token bound to an end user', () => {
  it('hands out a connect session for that end user, then acts as them and only them', async () => {
    const agent = await agentWith(await boundToken('u-42'));
    const first = await call(agent, 'github_viewer');
    expect(first.isError).toBe(true);
    const connectUrl = (first.structuredContent as { error: { connectUrl: string } }).error.connectUrl;
    expect(connectUrl.startsWith(`${gateway.publicUrl}/connect#token=lkc_`)).toBe(true);

    await connectThroughSession(gateway, connectUrl, 'GITHUB');

    const second = await call(agent, 'github_viewer');
    expect(second.isError, JSON.stringify(second.content)).toBeFalsy();
    expect(second.structuredContent).toMatchObject({ viewer: { login: github.state.user.login } });
    const listed = await call(agent, 'list_connections');
    expect(listed.structuredContent).toMatchObject({ connections: [{ service: 'github', status: 'ACTIVE' }] });

    // The connection is u-42's: the site itself and another end user are not connected.
    const reads = await gateway.gql(
      '{ site: secrets { github { isLoggedIn } } u42: secrets(endUser: "u-42") { github { isLoggedIn endUser } } u43: secrets(endUser: "u-43") { github { isLoggedIn } } }',
      undefined,
      site.token,
    );
    expect(reads.body.data).toEqual({ site: { github: { isLoggedIn: false } }, u42: { github: { isLoggedIn: true, endUser: 'u-42' } }, u43: { github: { isLoggedIn: false } } });
    const other = await agentWith(await boundToken('u-43'));
    const refused = await call(other, 'github_viewer');
    expect(refused.isError).toBe(true);
    expect(refused.structuredContent).toMatchObject({ error: { code: 'NOT_LOGGED_IN' } });
    // A connect session carries no provider token into a tool result.
    for (const result of [first, second, listed, refused]) expect(JSON.stringify(result)).not.toMatch(/gh[ousr]_|ghu_/);
  });
});

describe('list_connections', () => {
  it('lists every account of a service the end user connected, each once, and nothing of another owner', async () => {
    const agent = await agentWith(await boundToken('u-77'));
    const original = github.state.user;
    const accounts: string[] = [];
    try {
      for (const id of [7701, 7702]) {
        github.state.user = { ...original, id, login: `account${id}` };
        accounts.push(String(id));
        const needed = await call(agent, 'connect_service', { service: 'github' });
        expect(needed.isError, JSON.stringify(needed.content)).toBeFalsy();
        await connectThroughSession(gateway, (needed.structuredContent as { url: string }).url, 'GITHUB');
      }
    } finally {
      github.state.user = original;
    }
    const listed = await call(agent, 'list_connections');
    expect(listed.isError, JSON.stringify(listed.content)).toBeFalsy();
    const connections = (listed.structuredContent as { connections: Array<{ service: string; account: string; accountName: string; status: string }> }).connections;
    expect(connections.map((connection) => connection.account).sort()).toEqual(accounts);
    expect(connections.every((connection) => connection.service === 'github' && connection.status === 'ACTIVE')).toBe(true);
    expect(connections.map((connection) => connection.accountName).sort()).toEqual(['account7701', 'account7702']);
    const stranger = await call(await agentWith(await boundToken('u-78')), 'list_connections');
    expect(stranger.structuredContent).toEqual({ connections: [] });
  });
});

describe('proxy for end users', () => {
  it('calls the API as the end user the site names, and refuses a bound token naming another', async () => {
    const query = 'query ($e: String, $a: String) { proxy(service: "github", endUser: $e, account: $a, path: "/user") { status json } }';
    const asSite = await gateway.gql(query, { e: 'u-42' }, site.token);
    expect(asSite.body.errors).toBeUndefined();
    expect(asSite.body.data.proxy).toMatchObject({ status: 200, json: { login: github.state.user.login } });

    const account = String(github.state.user.id);
    const byAccount = await gateway.gql(query, { e: 'u-42', a: account }, site.token);
    expect(byAccount.body.data.proxy.status).toBe(200);
    const missingAccount = await gateway.gql(query, { e: 'u-42', a: 'no-such-account' }, site.token);
    expect(missingAccount.body.errors?.[0]?.extensions?.code).toBe('NOT_LOGGED_IN');

    const notConnected = await gateway.gql(query, { e: 'u-99' }, site.token);
    expect(notConnected.body.errors?.[0]?.extensions?.code).toBe('NOT_LOGGED_IN');

    const bound = await boundToken('u-43');
    const forbidden = await gateway.gql(query, { e: 'u-42' }, bound);
    expect(forbidden.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const malformed = await gateway.gql(query, { e: 'not valid!' }, site.token);
    expect(malformed.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('pass-through for end users', () => {
  it('github(endUser:, account:) acts as that end user; a bound token cannot name another', async () => {
    const account = String(github.state.user.id);
    const query = 'query ($e: String, $a: String) { github(endUser: $e, account: $a) { viewer { login } } }';
    const asU42 = await gateway.gql(query, { e: 'u-42', a: account }, site.token);
    expect(asU42.body.errors).toBeUndefined();
    expect(asU42.body.data.github.viewer.login).toBe(github.state.user.login);

    const siteOwn = await gateway.gql(query, {}, site.token);
    expect(siteOwn.body.errors?.[0]?.extensions?.code).toBe('NOT_LOGGED_IN');
    const otherAccount = await gateway.gql(query, { e: 'u-42', a: 'no-such-account' }, site.token);
    expect(otherAccount.body.errors?.[0]?.extensions?.code).toBe('NOT_LOGGED_IN');

    const bound42 = await boundToken('u-42');
    const implicit = await gateway.gql('{ github { viewer { login } } }', undefined, bound42);
    expect(implicit.body.data.github.viewer.login).toBe(github.state.user.login);
    const bound43 = await boundToken('u-43');
    const forbidden = await gateway.gql(query, { e: 'u-42' }, bound43);
    expect(forbidden.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const malformed = await gateway.gql(query, { e: 'bad user' }, site.token);
    expect(malformed.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('list_connections with the site token', () => {
  // Last in the file: it connects the site itself, which the tests above expect not to be.
  it("lists the site's own connections, which call_api can use, and none of its end users'", async () => {
    const endUsers = await gateway.gql('{ connections(endUser: "u-42") { nodes { account } } }', undefined, site.token);
    expect(endUsers.body.data.connections.nodes.length).toBeGreaterThan(0);
    const agent = await agentWith(site.token);
    expect((await call(agent, 'list_connections')).structuredContent).toEqual({ connections: [] });

    const original = github.state.user;
    try {
      github.state.user = { ...original, id: 7900, login: 'the-site' };
      await connectViaCallback(gateway, site.token, 'GITHUB', `${ORIGIN}/done`);
    } finally {
      github.state.user = original;
    }
    const listed = await call(agent, 'list_connections');
    expect(listed.structuredContent).toMatchObject({ connections: [{ service: 'github', account: '7900', accountName: 'the-site', status: 'ACTIVE' }] });
    expect((listed.structuredContent as { connections: unknown[] }).connections).toHaveLength(1);
    const used = await call(agent, 'call_api', { service: 'github', method: 'GET', path: '/user', account: '7900' });
    expect(used.isError, JSON.stringify(used.content)).toBeFalsy();
  });
});

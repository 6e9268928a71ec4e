// The MCP server at /mcp, driven by the official SDK's own client over real HTTP against a real
// gateway, database and the local GitHub fake: authentication (401 with resource metadata), the
// tools, and an agent-style session that connects GitHub through the URL a tool error hands out.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LATEST_PROTOCOL_VERSION, UrlElicitationRequiredError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { startFakeGitHub, type FakeGitHub } from './support/fake-github.js';
import { followRedirects, startTestGateway, type TestGateway } from './support/gateway.js';

const ORIGIN = 'http://app.test:3000';

let github: FakeGitHub;
let gateway: TestGateway;
const clients: Client[] = [];
const results: string[] = [];

async function connectClient(token: string | null): Promise<Client> {
  const client = new Client({ name: 'latchkey-test-agent', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(`${gateway.url}/mcp`), {
    requestInit: token ? { headers: { authorization: `Bearer ${token}` } } : {},
  });
  await client.connect(transport);
  clients.push(client);
  return client;
}

async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<CallToolResult> {
  const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
  results.push(JSON.stringify(result));
  return result;
}

const textOf = (result: CallToolResult) => result.content.map((item) => (item.type === 'text' ? item.text : '')).join('\n');

/** What a person does with a connect URL: opens it and approves at the provider (the fake approves). */
async function openConnectUrl(url: string): Promise<void> {
  const { final, cookie } = await followRedirects(url, (next) => next.pathname.startsWith('/oauth/callback/'));
  const response = await fetch(final, { redirect: 'manual', headers: { cookie } });
  expect(await response.text()).toContain('Connected to GitHub');
}

beforeAll(async () => {
  github = await startFakeGitHub();
  gateway = await startTestGateway({ ...github.appEnv });
});

afterAll(async () => {
  await Promise.allSettled(clients.map((client) => client.close()));
  await gateway?.close();
  await github?.close();
});

describe('MCP authentication', () => {
  it('answers 401 with the resource metadata URL without a valid token, and serves that document', async () => {
    for (const authorization of [undefined, 'Bearer lks_not-a-real-token', 'Basic abc']) {
      const response = await fetch(`${gateway.url}/mcp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...(authorization ? { authorization } : {}) },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
      });
      expect(response.status, String(authorization)).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe(`Bearer resource_metadata="${gateway.publicUrl}/.well-known/oauth-protected-resource/mcp"`);
    }
    for (const path of ['/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource']) {
      const document = await fetch(`${gateway.url}${path}`);
      expect(document.status).toBe(200);
      expect(await document.json()).toMatchObject({ resource: `${gateway.publicUrl}/mcp`, bearer_methods_supported: ['header'] });
    }
    await expect(connectClient(null)).rejects.toThrow();
  });

  it('refuses browser-facing tokens', async () => {
    const site = await gateway.createSite('Browser token', [ORIGIN]);
    const created = await gateway.gql('mutation { createFunctionToken(input: { canConnect: true }) { token } }', undefined, site.token);
    const response = await fetch(`${gateway.url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${created.body.data.createFunctionToken.token}` },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(response.status).toBe(403);
  });
});

describe('MCP tools', () => {
  it('negotiates the latest protocol and lists the tools with schemas and annotations', async () => {
    expect(LATEST_PROTOCOL_VERSION >= '2025-11-25').toBe(true);
    const site = await gateway.createSite('Tools', [ORIGIN]);
    const initialize = await fetch(`${gateway.url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${site.token}` },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }),
    });
    expect(initialize.status).toBe(200);
    // Stateless: no session to keep, so any instance answers the next request.
    expect(initialize.headers.get('mcp-session-id')).toBeNull();
    expect((await initialize.json()).result.protocolVersion).toBe('2025-11-25');
    const client = await connectClient(site.token);
    expect(client.getServerVersion()?.name).toBe('latchkey');
    const { tools } = await client.listTools();
    const byName = new Map(tools.map((tool) => [tool.name, tool]));
    for (const name of ['list_connections', 'connect_service', 'call_api', 'github_viewer', 'github_repository', 'github_createIssue', 'github_removeStar', 'spotify_me']) {
      expect(byName.has(name), name).toBe(true);
    }
    expect(byName.get('github_repository')!.inputSchema).toMatchObject({ type: 'object', properties: { owner: { type: 'string' }, name: { type: 'string' } }, required: expect.arrayContaining(['owner', 'name']) });
    expect(byName.get('github_viewer')!.annotations).toMatchObject({ readOnlyHint: true });
    expect(byName.get('github_createIssue')!.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: false });
    expect(byName.get('github_removeStar')!.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true });
    expect(byName.get('github_createIssue')!.inputSchema.properties?.input).toMatchObject({ type: 'object', required: expect.arrayContaining(['title']) });
  });

  it('runs an agent session: a tool on an unconnected service hands out a connect URL; after connecting it answers', async () => {
    const site = await gateway.createSite('Agent', [ORIGIN]);
    const agent = await connectClient(site.token);
    await agent.listTools();

    const first = await call(agent, 'github_viewer');
    expect(first.isError).toBe(true);
    const url = /(http:\/\/\S+)/.exec(textOf(first))?.[1];
    expect(url, textOf(first)).toBeDefined();
    expect(first.structuredContent).toMatchObject({ error: { code: 'NOT_LOGGED_IN', service: 'github', connectUrl: url } });

    await openConnectUrl(url!);

    const second = await call(agent, 'github_viewer');
    expect(second.isError).toBeFalsy();
    expect(second.structuredContent).toMatchObject({ viewer: { login: 'octokit-fixture-user-a' } });

    const repository = await call(agent, 'github_repository', { owner: 'octokit-fixture-org', name: 'hello-world' });
    expect(repository.structuredContent).toMatchObject({ repository: { name: 'hello-world', owner: { login: 'octokit-fixture-org' } } });

    const listed = await call(agent, 'list_connections');
    expect(listed.structuredContent).toEqual({
      connections: [{ service: 'github', account: String(github.state.user.id), accountName: github.state.user.login, status: 'ACTIVE', scopes: expect.any(Array) }],
    });

    const proxied = await call(agent, 'call_api', { service: 'github', method: 'GET', path: '/repos/octokit-fixture-org/hello-world/issues', query: { state: 'all' } });
    expect(proxied.isError).toBeFalsy();
    expect(proxied.structuredContent).toMatchObject({ status: 200 });
    expect(Array.isArray((proxied.structuredContent as { json: unknown }).json)).toBe(true);

    // Writing needs a scope the first consent did not grant: the tool error asks for just that.
    const issue = { input: { owner: 'octokit-fixture-org', name: 'hello-world', title: 'Filed by an agent' } };
    const lacking = await call(agent, 'github_createIssue', issue);
    expect(lacking.isError).toBe(true);
    expect(lacking.structuredContent).toMatchObject({ error: { code: 'FORBIDDEN', missingScopes: ['public_repo'] } });
    await openConnectUrl((lacking.structuredContent as { error: { connectUrl: string } }).error.connectUrl);
    const created = await call(agent, 'github_createIssue', issue);
    expect(created.isError, textOf(created)).toBeFalsy();
    expect(created.structuredContent).toMatchObject({ createIssue: { title: 'Filed by an agent' } });
  });

  it('connect_service answers the authorization URL for the site', async () => {
    const site = await gateway.createSite('Connect tool', [ORIGIN]);
    const client = await connectClient(site.token);
    const result = await call(client, 'connect_service', { service: 'github', scopes: ['read:user'] });
    expect(result.isError).toBeFalsy();
    const url = (result.structuredContent as { url: string }).url;
    await openConnectUrl(url);
    const listed = await call(client, 'list_connections');
    expect((listed.structuredContent as { connections: Array<{ service: string; scopes: string[] }> }).connections).toEqual([
      expect.objectContaining({ service: 'github', scopes: ['read:user'] }),
    ]);
    const unknown = await call(client, 'connect_service', { service: 'myspace' });
    expect(unknown.isError).toBe(true);
    expect(textOf(unknown)).toContain('BAD_USER_INPUT');
  });

  it('function tokens: read-only, limited to their services', async () => {
    const site = await gateway.createSite('Function token', [ORIGIN]);
    const owner = await connectClient(site.token);
    await openConnectUrl((await call(owner, 'connect_service', { service: 'github' })).structuredContent!.url as string);
    const minted = await gateway.gql('mutation { createFunctionToken(input: { services: [GITHUB] }) { token } }', undefined, site.token);
    const client = await connectClient(minted.body.data.createFunctionToken.token);

    const read = await call(client, 'call_api', { service: 'github', method: 'GET', path: '/users/octokit-fixture-user-a' });
    expect(read.structuredContent).toMatchObject({ status: 200, json: { login: 'octokit-fixture-user-a' } });
    const before = github.state.apiRequests;
    const write = await call(client, 'call_api', { service: 'github', method: 'PUT', path: '/user/starred/octokit-fixture-org/hello-world' });
    expect(write.isError).toBe(true);
    expect(textOf(write)).toContain('FORBIDDEN');
    const typedWrite = await call(client, 'github_addStar', { input: { owner: 'octokit-fixture-org', name: 'hello-world' } });
    expect(typedWrite.isError).toBe(true);
    expect(github.state.apiRequests).toBe(before);
    const other = await call(client, 'spotify_me');
    expect(other.isError).toBe(true);
    expect(textOf(other)).toContain('FORBIDDEN');
  });

  it('is stateless: a second instance on the same database answers the same client', async () => {
    const second = await startTestGateway({ ...github.appEnv, LATCHKEY_ENCRYPTION_KEY: gateway.config.env.LATCHKEY_ENCRYPTION_KEY! }, { databaseUrl: gateway.databaseUrl });
    try {
      const site = await gateway.createSite('Two instances', [ORIGIN]);
      const onFirst = await connectClient(site.token);
      await openConnectUrl((await call(onFirst, 'connect_service', { service: 'github' })).structuredContent!.url as string);
      // No session id was issued, so a request to any instance stands alone.
      const response = await fetch(`${second.url}/mcp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${site.token}`, 'mcp-protocol-version': '2025-11-25' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'github_viewer', arguments: {} } }),
      });
      expect(response.status).toBe(200);
      const body = await response.json();
      expect(body.result.structuredContent).toMatchObject({ viewer: { login: 'octokit-fixture-user-a' } });
    } finally {
      await second.gateway.close();
    }
  });

  it('answers bad arguments and unknown tools with tool errors', async () => {
    const site = await gateway.createSite('Bad input', [ORIGIN]);
    const client = await connectClient(site.token);
    const badPath = await call(client, 'call_api', { service: 'github', method: 'GET', path: '//evil.test/x' });
    expect(badPath.isError).toBe(true);
    expect(textOf(badPath)).toContain('BAD_USER_INPUT');
    const missing = await call(client, 'call_api', { service: 'github' });
    expect(missing.isError).toBe(true);
    const unknown = await call(client, 'no_such_tool');
    expect(unknown.isError).toBe(true);
  });

  it('never puts a token, refresh token or client secret in a tool result or a log line', async () => {
    const secrets = [github.clientSecret, ...github.state.issuedTokens.flatMap((token) => [token.accessToken, token.refreshToken].filter((value): value is string => Boolean(value)))];
    expect(secrets.length).toBeGreaterThan(2);
    const seen = results.join('\n') + gateway.logs.join('\n');
    for (const secret of secrets) expect(seen).not.toContain(secret);
  });
});

describe('URL elicitation', () => {
  it('asks a client that declared URL elicitation through it, on any later request; others keep the tool error', async () => {
    const site = await gateway.createSite('Eliciting agent', [ORIGIN]);
    const client = new Client({ name: 'eliciting-agent', version: '1.0.0' }, { capabilities: { elicitation: { url: {} } } });
    const transport = new StreamableHTTPClientTransport(new URL(`${gateway.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${site.token}` } } });
    await client.connect(transport);
    clients.push(client);
    expect(transport.sessionId).toMatch(/^lkmcp-url-/);

    const asked = await client.callTool({ name: 'github_viewer', arguments: {} }).then(
      () => null,
      (error: unknown) => error,
    );
    expect(asked).toBeInstanceOf(UrlElicitationRequiredError);
    const [elicitation] = (asked as UrlElicitationRequiredError).elicitations;
    expect(elicitation).toMatchObject({ mode: 'url', message: expect.stringContaining('GitHub is not connected') });
    expect(elicitation!.elicitationId).toEqual(expect.any(String));
    expect(JSON.stringify(asked)).not.toMatch(/gh[ousr]_/);

    await openConnectUrl(elicitation!.url);
    const answered = (await client.callTool({ name: 'github_viewer', arguments: {} })) as CallToolResult;
    expect(answered.isError).toBeFalsy();
    expect(answered.structuredContent).toMatchObject({ viewer: { login: expect.any(String) } });

    // A client that declared form elicitation only gets no session id and the tool error, as the contract says.
    const other = await gateway.createSite('Form-only agent', [ORIGIN]);
    const formOnly = new Client({ name: 'form-agent', version: '1.0.0' }, { capabilities: { elicitation: { form: {} } } });
    const formTransport = new StreamableHTTPClientTransport(new URL(`${gateway.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${other.token}` } } });
    await formOnly.connect(formTransport);
    clients.push(formOnly);
    expect(formTransport.sessionId).toBeUndefined();
    const refused = (await formOnly.callTool({ name: 'github_viewer', arguments: {} })) as CallToolResult;
    expect(refused.isError).toBe(true);
    expect(refused.structuredContent).toMatchObject({ error: { code: 'NOT_LOGGED_IN', connectUrl: expect.any(String) } });
  });
});

// The gateway as the OAuth authorization server of /mcp, over real HTTP against a real gateway and
// database: the SDK client's own OAuth support signs in end to end (discovery, dynamic client
// registration, PKCE, the site's login step done here as the site's backend, consent, code, tokens),
// then acts as that end user through /mcp; and the attacks an authorization server must refuse.
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError, type OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { OAuthMetadataSchema, OAuthProtectedResourceMetadataSchema, type OAuthClientInformationMixed, type OAuthClientMetadata, type OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { startFakeGitHub, type FakeGitHub } from './support/fake-github.js';
import { CookieJar, followRedirects, startTestGateway, type TestGateway } from './support/gateway.js';
import { json, startTinyServer } from './support/tiny-server.js';
import { connectThroughSession } from './support/connect.js';

const ORIGIN = 'http://app.test:3000';
const LOGIN_URL = `${ORIGIN}/mcp-login`;
const REDIRECT = 'http://127.0.0.1:53682/oauth/callback';

let github: FakeGitHub;
let gateway: TestGateway;
let site: { siteId: string; token: string };
const clients: Client[] = [];

const call = async (client: Client, name: string, args: Record<string, unknown> = {}) => (await client.callTool({ name, arguments: args })) as CallToolResult;

function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

async function register(redirectUris: string[] = [REDIRECT], extra: Record<string, unknown> = {}): Promise<Response> {
  return fetch(`${gateway.url}/oauth/mcp/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_name: 'Test Agent', redirect_uris: redirectUris, token_endpoint_auth_method: 'none', ...extra }),
  });
}

async function registeredClient(): Promise<string> {
  const response = await register();
  expect(response.status).toBe(201);
  return ((await response.json()) as { client_id: string }).client_id;
}

function authorizeUrl(clientId: string, challenge: string, overrides: Record<string, string | null> = {}): string {
  const url = new URL(`${gateway.url}/oauth/mcp/authorize`);
  const params: Record<string, string | null> = {
    response_type: 'code',
    client_id: clientId,
    redirect_uri: REDIRECT,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: 'state-123',
    scope: 'mcp:read',
    resource: `${gateway.publicUrl}/mcp`,
    site: site.siteId,
    ...overrides,
  };
  for (const [name, value] of Object.entries(params)) if (value !== null) url.searchParams.set(name, value);
  return url.href;
}

/** The site's backend: the person is logged in as `endUser`, so it vouches for them with its site token. */
async function siteVouches(loginPage: URL, endUser: string, token = site.token) {
  return gateway.gql(
    'mutation ($input: CreateMcpLoginAssertionInput!) { createMcpLoginAssertion(input: $input) { redirectUrl expiresAt } }',
    { input: { requestId: loginPage.searchParams.get('latchkey_mcp_request'), endUser } },
    token,
  );
}

const hidden = (html: string, name: string) => new RegExp(`name="${name}" value="([^"]+)"`).exec(html)?.[1] ?? '';

/**
 * What a person's browser does with an authorization URL: the gateway sends it to the site's login
 * page, the site vouches for the logged-in end user, the gateway shows consent, the person answers.
 * Answers where the browser is sent back to (the client's redirect URI).
 */
async function signInInBrowser(authorizationUrl: string | URL, endUser: string, decision: 'approve' | 'deny' = 'approve', jar = new CookieJar(), grantWrite = true): Promise<URL> {
  const { final } = await followRedirects(String(authorizationUrl), (url) => url.origin === ORIGIN, 10, jar);
  expect(final.href.startsWith(`${LOGIN_URL}?latchkey_mcp_request=mcpa_`), final.href).toBe(true);
  const vouched = await siteVouches(final, endUser);
  expect(vouched.body.errors).toBeUndefined();
  const consentUrl = new URL(vouched.body.data.createMcpLoginAssertion.redirectUrl);
  const page = await fetch(consentUrl, { redirect: 'manual', headers: { cookie: jar.header(consentUrl) } });
  expect(page.status).toBe(200);
  const html = await page.text();
  expect(html).toContain(endUser);
  const answer = await fetch(`${gateway.url}/oauth/mcp/consent`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: jar.header(consentUrl) },
    // As a browser submits the form: the mcp:write checkbox (shown checked when asked for) unless unticked.
    body: new URLSearchParams([
      ['request', hidden(html, 'request')],
      ['consent', hidden(html, 'consent')],
      ['decision', decision],
      ...(grantWrite && html.includes('value="mcp:write" id="grant-write" checked') ? [['scope', 'mcp:write']] : []),
    ]),
  });
  expect(answer.status).toBe(303);
  return new URL(answer.headers.get('location')!);
}

async function tokenRequest(params: Record<string, string>): Promise<{ status: number; body: any }> {
  const response = await fetch(`${gateway.url}/oauth/mcp/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(params) });
  return { status: response.status, body: await response.json() };
}

/** A whole sign-in with a registered client; answers the token response. */
async function signedIn(endUser: string, scope = 'mcp:read'): Promise<{ clientId: string; tokens: any }> {
  const clientId = await registeredClient();
  const { verifier, challenge } = pkce();
  const back = await signInInBrowser(authorizeUrl(clientId, challenge, { scope }), endUser);
  const exchanged = await tokenRequest({ grant_type: 'authorization_code', code: back.searchParams.get('code')!, code_verifier: verifier, client_id: clientId, redirect_uri: REDIRECT, resource: `${gateway.publicUrl}/mcp` });
  expect(exchanged.status, JSON.stringify(exchanged.body)).toBe(200);
  return { clientId, tokens: exchanged.body };
}

async function mcpStatus(accessToken: string): Promise<Response> {
  return fetch(`${gateway.url}/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${accessToken}` },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
  });
}

/** An OAuthClientProvider like a desktop agent's, whose "browser" is signInInBrowser. */
class TestAgentAuth implements OAuthClientProvider {
  private information: OAuthClientInformationMixed | undefined;
  private saved: OAuthTokens | undefined;
  private verifier = '';
  /** The code the browser brought back to the redirect URI. */
  code: string | null = null;
  returnedState: string | null = null;
  readonly sentState = randomBytes(8).toString('hex');

  constructor(private readonly endUser: string) {}

  get redirectUrl() {
    return REDIRECT;
  }
  get clientMetadata(): OAuthClientMetadata {
    return { client_name: 'Test Desktop Agent', redirect_uris: [REDIRECT], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none' };
  }
  state() {
    return this.sentState;
  }
  clientInformation() {
    return this.information;
  }
  saveClientInformation(information: OAuthClientInformationMixed) {
    this.information = information;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: OAuthTokens) {
    this.saved = tokens;
  }
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }
  codeVerifier() {
    return this.verifier;
  }
  async redirectToAuthorization(authorizationUrl: URL) {
    const back = await signInInBrowser(authorizationUrl, this.endUser);
    this.code = back.searchParams.get('code');
    this.returnedState = back.searchParams.get('state');
  }
}

/** Connects the SDK's client to `/mcp?site=…` with its OAuth support, signing in when asked to. */
async function agentSignedInAs(auth: TestAgentAuth): Promise<Client> {
  const url = new URL(`${gateway.url}/mcp?site=${site.siteId}`);
  const first = new Client({ name: 'oauth-agent', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(url, { authProvider: auth });
  await expect(first.connect(transport)).rejects.toBeInstanceOf(UnauthorizedError);
  expect(auth.code).toMatch(/^lkmc_/);
  expect(auth.returnedState).toBe(auth.sentState);
  await transport.finishAuth(auth.code!);
  const client = new Client({ name: 'oauth-agent', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(url, { authProvider: auth }));
  clients.push(client);
  return client;
}

beforeAll(async () => {
  github = await startFakeGitHub();
  gateway = await startTestGateway({ ...github.appEnv, LATCHKEY_MCP_CLIENT_METADATA_ALLOW_LOOPBACK: 'true' });
  site = await gateway.createSite('Agents Inc', [ORIGIN]);
  const updated = await gateway.gql('mutation ($u: String) { updateSite(input: { mcpLoginUrl: $u }) { mcpLoginUrl } }', { u: LOGIN_URL }, site.token);
  expect(updated.body.data.updateSite.mcpLoginUrl).toBe(LOGIN_URL);
});

afterAll(async () => {
  await Promise.allSettled(clients.map((client) => client.close()));
  await gateway?.close();
  await github?.close();
});

describe('metadata', () => {
  it('publishes RFC 8414 metadata, gateway-wide and per site, and the protected-resource document names the issuer', async () => {
    const metadata = OAuthMetadataSchema.parse(await (await fetch(`${gateway.url}/.well-known/oauth-authorization-server`)).json());
    expect(metadata).toMatchObject({
      issuer: gateway.publicUrl,
      authorization_endpoint: `${gateway.publicUrl}/oauth/mcp/authorize`,
      token_endpoint: `${gateway.publicUrl}/oauth/mcp/token`,
      registration_endpoint: `${gateway.publicUrl}/oauth/mcp/register`,
      revocation_endpoint: `${gateway.publicUrl}/oauth/mcp/revoke`,
      code_challenge_methods_supported: ['S256'],
      client_id_metadata_document_supported: true,
      token_endpoint_auth_methods_supported: ['none'],
      scopes_supported: ['mcp:read', 'mcp:write'],
    });
    const resource = OAuthProtectedResourceMetadataSchema.parse(await (await fetch(`${gateway.url}/.well-known/oauth-protected-resource/mcp`)).json());
    expect(resource.authorization_servers).toEqual([gateway.publicUrl]);
    expect(resource.resource).toBe(`${gateway.publicUrl}/mcp`);

    const perSite = OAuthProtectedResourceMetadataSchema.parse(await (await fetch(`${gateway.url}/.well-known/oauth-protected-resource/mcp?site=${site.siteId}`)).json());
    expect(perSite.authorization_servers).toEqual([`${gateway.publicUrl}/sites/${site.siteId}`]);
    const siteMetadata = OAuthMetadataSchema.parse(await (await fetch(`${gateway.url}/.well-known/oauth-authorization-server/sites/${site.siteId}`)).json());
    expect(siteMetadata.issuer).toBe(`${gateway.publicUrl}/sites/${site.siteId}`);
    expect(siteMetadata.authorization_endpoint).toBe(`${gateway.publicUrl}/oauth/mcp/authorize?site=${site.siteId}`);
    expect((await fetch(`${gateway.url}/.well-known/oauth-authorization-server/sites/site_doesnotexist`)).status).toBe(404);

    // Browser-based clients (the MCP Inspector) call the metadata, registration and token endpoints cross-origin.
    for (const path of ['/oauth/mcp/token', '/oauth/mcp/register', '/.well-known/oauth-authorization-server']) {
      const preflight = await fetch(`${gateway.url}${path}`, {
        method: 'OPTIONS',
        headers: { origin: 'http://inspector.test:6274', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
      expect(preflight.status, path).toBeLessThan(300);
      expect(preflight.headers.get('access-control-allow-origin'), path).toBe('http://inspector.test:6274');
      expect(preflight.headers.get('access-control-allow-headers'), path).toContain('content-type');
      expect(preflight.headers.get('access-control-allow-credentials'), path).toBeNull();
    }
    const crossOrigin = await fetch(`${gateway.url}/oauth/mcp/token`, { method: 'POST', headers: { origin: 'http://inspector.test:6274', 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=refresh_token' });
    expect(crossOrigin.headers.get('access-control-allow-origin')).toBe('http://inspector.test:6274');
    // The rest of the API keeps its origin policy: this origin is no site's.
    const graphql = await fetch(`${gateway.url}/graphql`, { method: 'OPTIONS', headers: { origin: 'http://inspector.test:6274', 'access-control-request-method': 'POST' } });
    expect(graphql.headers.get('access-control-allow-origin')).toBeNull();

    // A request without a token to /mcp?site=… points at that site's resource metadata.
    const unauthorized = await fetch(`${gateway.url}/mcp?site=${site.siteId}`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' });
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.headers.get('www-authenticate')).toBe(`Bearer resource_metadata="${gateway.publicUrl}/.well-known/oauth-protected-resource/mcp?site=${site.siteId}"`);
  });
});

describe('signing in with the SDK client', () => {
  it('the redirect back names the site as issuer (RFC 9207), and the sign-in is audited', async () => {
    const clientId = await registeredClient();
    const { challenge } = pkce();
    const back = await signInInBrowser(authorizeUrl(clientId, challenge), 'iris');
    expect(back.searchParams.get('code')).toMatch(/^lkmc_/);
    expect(back.searchParams.get('iss')).toBe(`${gateway.publicUrl}/sites/${site.siteId}`);
    const siteMetadata = (await (await fetch(`${gateway.url}/.well-known/oauth-authorization-server/sites/${site.siteId}`)).json()) as Record<string, unknown>;
    expect(siteMetadata.authorization_response_iss_parameter_supported).toBe(true);
    // No sign-in completes through the gateway-wide issuer (it cannot name a site), so it promises no iss.
    const gatewayMetadata = (await (await fetch(`${gateway.url}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
    expect(gatewayMetadata.authorization_response_iss_parameter_supported).toBeUndefined();
    const approved = await gateway.gateway.db.auditEvent.findMany({ where: { siteId: site.siteId, type: 'mcp.sign_in_approved' } });
    expect(approved.map((event) => event.detail)).toContainEqual(expect.objectContaining({ endUser: 'iris', clientId, scopes: ['mcp:read'] }));
  });

  it('a browser-based MCP client may call /mcp from any origin, read the session id and the WWW-Authenticate challenge', async () => {
    const inspector = 'http://inspector.test:6274';
    const preflight = await fetch(`${gateway.url}/mcp`, {
      method: 'OPTIONS',
      headers: { origin: inspector, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type, mcp-protocol-version, mcp-session-id' },
    });
    expect(preflight.status).toBeLessThan(300);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(inspector);
    for (const header of ['mcp-protocol-version', 'mcp-session-id', 'authorization']) expect(preflight.headers.get('access-control-allow-headers')).toContain(header);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('DELETE');
    expect(preflight.headers.get('access-control-allow-credentials')).toBeNull();
    const challenge = await fetch(`${gateway.url}/mcp?site=${site.siteId}`, {
      method: 'POST',
      headers: { origin: inspector, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(challenge.status).toBe(401);
    expect(challenge.headers.get('access-control-allow-origin')).toBe(inspector);
    expect(challenge.headers.get('access-control-expose-headers')).toContain('www-authenticate');
    const { tokens } = await signedIn('ivy');
    const listed = await fetch(`${gateway.url}/mcp`, {
      method: 'POST',
      headers: { origin: inspector, 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${tokens.access_token}` },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(listed.status).toBe(200);
    expect(listed.headers.get('access-control-allow-origin')).toBe(inspector);
    expect(listed.headers.get('access-control-expose-headers')).toContain('mcp-session-id');
  });

  it('registers, signs in through the site and consent, then lists tools and acts as that end user only', async () => {
    const alice = await agentSignedInAs(new TestAgentAuth('alice'));
    const names = (await alice.listTools()).tools.map((tool) => tool.name);
    expect(names).toEqual(expect.arrayContaining(['list_connections', 'connect_service', 'call_api', 'github_viewer']));
    expect((await call(alice, 'list_connections')).structuredContent).toEqual({ connections: [] });

    // The agent-style session: a tool on an unconnected service hands out alice's connect session.
    const first = await call(alice, 'github_viewer');
    expect(first.isError).toBe(true);
    const connectUrl = (first.structuredContent as { error: { connectUrl: string } }).error.connectUrl;
    expect(connectUrl.startsWith(`${gateway.publicUrl}/connect#token=lkc_`)).toBe(true);
    await connectThroughSession(gateway, connectUrl, 'GITHUB');
    const viewer = await call(alice, 'github_viewer');
    expect(viewer.isError, JSON.stringify(viewer.content)).toBeFalsy();
    expect((await call(alice, 'list_connections')).structuredContent).toMatchObject({ connections: [{ service: 'github', status: 'ACTIVE' }] });

    // The connection is alice's: the site's own secrets and bob's sign-in do not see it.
    const secrets = await gateway.gql('{ site: secrets { github { isLoggedIn } } alice: secrets(endUser: "alice") { github { isLoggedIn } } }', undefined, site.token);
    expect(secrets.body.data).toEqual({ site: { github: { isLoggedIn: false } }, alice: { github: { isLoggedIn: true } } });
    const bob = await agentSignedInAs(new TestAgentAuth('bob'));
    expect((await call(bob, 'list_connections')).structuredContent).toEqual({ connections: [] });
    expect((await call(bob, 'github_viewer')).isError).toBe(true);
    // Bob's token cannot name alice: the tools take no owner argument.
    const reach = await call(bob, 'call_api', { service: 'github', method: 'GET', path: '/user', endUser: 'alice' });
    expect(reach.isError).toBe(true);
    expect((reach.structuredContent as { error: { code: string } }).error.code).toBe('BAD_USER_INPUT');
  });

  it('grants mcp:read by default: writes need mcp:write', async () => {
    const { tokens } = await signedIn('carol');
    expect(tokens).toMatchObject({ token_type: 'Bearer', expires_in: 600, scope: 'mcp:read' });
    const client = new Client({ name: 'reader', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${gateway.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${tokens.access_token}` } } }));
    clients.push(client);
    const write = await call(client, 'call_api', { service: 'github', method: 'POST', path: '/user/repos', body: {} });
    expect(write.isError).toBe(true);
    expect((write.content[0] as { text: string }).text).toContain('mcp:write');
    const star = await call(client, 'github_addStar', { input: { owner: 'octokit-fixture-org', name: 'hello-world' } });
    expect(star.isError).toBe(true);
    expect((star.structuredContent as { error: { code: string } }).error.code).toBe('FORBIDDEN');
    expect((star.content[0] as { text: string }).text).toContain('mcp:write');

    // The person may untick mcp:write on the consent page: the grant is narrowed, and the token response says so.
    const narrowedClient = await registeredClient();
    const pair = pkce();
    const narrowed = await signInInBrowser(authorizeUrl(narrowedClient, pair.challenge, { scope: 'mcp:read mcp:write' }), 'carol', 'approve', new CookieJar(), false);
    const narrowedTokens = await tokenRequest({ grant_type: 'authorization_code', code: narrowed.searchParams.get('code')!, code_verifier: pair.verifier, client_id: narrowedClient, redirect_uri: REDIRECT });
    expect(narrowedTokens.body.scope).toBe('mcp:read');

    const { tokens: writer } = await signedIn('carol', 'mcp:read mcp:write');
    expect(writer.scope).toBe('mcp:read mcp:write');
    const writing = new Client({ name: 'writer', version: '1.0.0' });
    await writing.connect(new StreamableHTTPClientTransport(new URL(`${gateway.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${writer.access_token}` } } }));
    clients.push(writing);
    const allowed = await call(writing, 'call_api', { service: 'github', method: 'POST', path: '/user/repos', body: {} });
    // Not refused for the scope: carol has no GitHub connection, so the answer is how to connect.
    expect((allowed.structuredContent as { error: { code: string } }).error.code).toBe('NOT_LOGGED_IN');
  });

  it('an access token works only at /mcp: /graphql refuses it', async () => {
    const { tokens } = await signedIn('dave');
    expect((await mcpStatus(tokens.access_token)).status).toBe(200);
    const graphql = await gateway.gql('{ secrets { github { isLoggedIn } } }', undefined, tokens.access_token);
    expect(graphql.status).toBe(401);
    expect(graphql.body.errors?.[0]).toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
    expect(graphql.body.errors?.[0]?.message).toContain('valid only at /mcp');
    // A refresh token is no access token either.
    expect((await mcpStatus(tokens.refresh_token)).status).toBe(401);
  });
});

describe('attacks and mistakes', () => {
  it('refuses a wrong resource, plain or missing PKCE and an unknown site, back at the redirect URI with the state', async () => {
    const clientId = await registeredClient();
    const { challenge } = pkce();
    const cases: Array<[Record<string, string | null>, string]> = [
      [{ resource: 'https://evil.example/mcp' }, 'invalid_target'],
      [{ resource: null }, 'invalid_target'],
      [{ code_challenge_method: 'plain' }, 'invalid_request'],
      [{ code_challenge_method: null }, 'invalid_request'],
      [{ code_challenge: null }, 'invalid_request'],
      [{ response_type: 'token' }, 'unsupported_response_type'],
      [{ scope: 'admin' }, 'invalid_scope'],
      [{ site: null }, 'invalid_request'],
      [{ site: 'site_unknown' }, 'invalid_request'],
      [{ state: 'x'.repeat(1025) }, 'invalid_request'],
    ];
    for (const [overrides, error] of cases) {
      const response = await fetch(authorizeUrl(clientId, challenge, overrides), { redirect: 'manual' });
      expect(response.status, JSON.stringify(overrides)).toBe(302);
      const location = new URL(response.headers.get('location')!);
      expect(location.origin + location.pathname).toBe(REDIRECT);
      expect(location.searchParams.get('error'), JSON.stringify(overrides)).toBe(error);
      expect(location.searchParams.get('state')).toBe(overrides.state === undefined ? 'state-123' : null);
      expect(location.searchParams.get('error_description')).toBeTruthy();
      // RFC 9207: the site's issuer when the request named a well-formed site, else the gateway's.
      expect(location.searchParams.get('iss'), JSON.stringify(overrides)).toBe(overrides.site === null ? gateway.publicUrl : `${gateway.publicUrl}/sites/${overrides.site ?? site.siteId}`);
    }
  });

  it('never redirects to a redirect URI the client did not register: an error page instead', async () => {
    const clientId = await registeredClient();
    const { challenge } = pkce();
    const cases: Array<Record<string, string | null>> = [{ redirect_uri: 'https://evil.example/callback' }, { redirect_uri: `${REDIRECT}/extra` }, { redirect_uri: null }, { client_id: 'lkcl_unknown' }];
    for (const overrides of cases) {
      const response = await fetch(authorizeUrl(clientId, challenge, overrides), { redirect: 'manual' });
      expect(response.status, JSON.stringify(overrides)).toBe(400);
      expect(response.headers.get('location')).toBeNull();
      expect(response.headers.get('content-type')).toContain('text/html');
    }
  });

  it('registration accepts https and loopback http redirect URIs only', async () => {
    for (const uri of ['http://evil.example/callback', 'javascript:alert(1)', 'https://app.example/cb#frag', 'ftp://x.example/cb']) {
      const response = await register([uri]);
      expect(response.status, uri).toBe(400);
      expect(((await response.json()) as { error: string }).error).toMatch(/^invalid_(redirect_uri|client_metadata)$/);
    }
    expect((await register(['https://app.example/cb'], { token_endpoint_auth_method: 'client_secret_basic' })).status).toBe(400);
    for (const uri of ['https://app.example/cb', 'http://localhost:8080/cb', 'http://[::1]:9/cb']) expect((await register([uri])).status, uri).toBe(201);
  });

  it('registrations that never sign in are pruned after a day; clients that did are kept', async () => {
    const unused = await registeredClient();
    const { clientId: used } = await signedIn('nina');
    const twoDaysAgo = new Date(Date.now() - 2 * 24 * 3600 * 1000);
    await gateway.gateway.db.mcpClient.updateMany({ where: { id: { in: [unused, used] } }, data: { createdAt: twoDaysAgo } });
    await registeredClient();
    expect(await gateway.gateway.db.mcpClient.findUnique({ where: { id: unused } })).toBeNull();
    expect(await gateway.gateway.db.mcpClient.findUnique({ where: { id: used } })).not.toBeNull();
  });

  it('mcpLoginUrl must be on an allowed origin; without it the site refuses MCP sign-ins', async () => {
    const other = await gateway.createSite('No MCP yet', [ORIGIN]);
    const offOrigin = await gateway.gql('mutation { updateSite(input: { mcpLoginUrl: "https://evil.example/login" }) { id } }', undefined, other.token);
    expect(offOrigin.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'mcpLoginUrl' });
    const clientId = await registeredClient();
    const response = await fetch(authorizeUrl(clientId, pkce().challenge, { site: other.siteId }), { redirect: 'manual' });
    const location = new URL(response.headers.get('location')!);
    expect(location.searchParams.get('error')).toBe('access_denied');
    expect(location.searchParams.get('error_description')).toContain('mcpLoginUrl');
  });

  it('the site vouches only for its own sign-ins, with its site token, once', async () => {
    const clientId = await registeredClient();
    const { challenge } = pkce();
    const { final } = await followRedirects(authorizeUrl(clientId, challenge), (url) => url.origin === ORIGIN);
    const other = await gateway.createSite('Other site', [ORIGIN]);
    expect((await siteVouches(final, 'mallory', other.token)).body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const fn = await gateway.gql('mutation { createFunctionToken(input: {}) { token } }', undefined, site.token);
    expect((await siteVouches(final, 'mallory', fn.body.data.createFunctionToken.token)).body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await siteVouches(final, 'not a valid name!')).body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect((await siteVouches(final, 'erin')).body.errors).toBeUndefined();
    expect((await siteVouches(final, 'erin')).body.errors?.[0]?.extensions?.code).toBe('AUTH_STATE_INVALID');
  });

  it('the consent page opens only in the browser that started the sign-in, once; a denial goes back as access_denied', async () => {
    const clientId = await registeredClient();
    const { challenge } = pkce();
    const jar = new CookieJar();
    const { final } = await followRedirects(authorizeUrl(clientId, challenge), (url) => url.origin === ORIGIN, 10, jar);
    const consentUrl = (await siteVouches(final, 'frank')).body.data.createMcpLoginAssertion.redirectUrl;
    // An attacker who got the URL (but not the victim's cookie) is refused, and consumes nothing.
    const elsewhere = await fetch(consentUrl, { redirect: 'manual' });
    expect(elsewhere.status).toBe(400);
    expect(await elsewhere.text()).toContain('another browser');
    const page = await fetch(consentUrl, { headers: { cookie: jar.header(new URL(consentUrl)) } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Test Agent');
    expect(html).toContain('127.0.0.1:53682');
    expect(html).toContain('mcp:read');
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect((await fetch(consentUrl, { headers: { cookie: jar.header(new URL(consentUrl)) } })).status).toBe(400);

    const forged = await fetch(`${gateway.url}/oauth/mcp/consent`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: jar.header(new URL(consentUrl)) },
      body: new URLSearchParams({ request: hidden(html, 'request'), consent: 'forged', decision: 'approve' }),
    });
    expect(forged.status).toBe(400);
    const denied = await fetch(`${gateway.url}/oauth/mcp/consent`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: jar.header(new URL(consentUrl)) },
      body: new URLSearchParams({ request: hidden(html, 'request'), consent: hidden(html, 'consent'), decision: 'deny' }),
    });
    const location = new URL(denied.headers.get('location')!);
    expect(location.searchParams.get('error')).toBe('access_denied');
    expect(location.searchParams.get('state')).toBe('state-123');
    expect(location.searchParams.get('iss')).toBe(`${gateway.publicUrl}/sites/${site.siteId}`);
    expect(location.searchParams.get('code')).toBeNull();
    const audited = await gateway.gateway.db.auditEvent.findMany({ where: { siteId: site.siteId, type: 'mcp.sign_in_denied' } });
    expect(audited.map((event) => event.detail)).toContainEqual(expect.objectContaining({ authorizationId: hidden(html, 'request'), endUser: 'frank', clientId }));
  });

  it('a code works once, with its verifier, client and redirect URI; a replay revokes the tokens issued from it', async () => {
    const clientId = await registeredClient();
    const { verifier, challenge } = pkce();
    const code = (await signInInBrowser(authorizeUrl(clientId, challenge), 'grace')).searchParams.get('code')!;
    const base = { grant_type: 'authorization_code', code, code_verifier: verifier, client_id: clientId, redirect_uri: REDIRECT };
    expect((await tokenRequest({ ...base, code_verifier: pkce().verifier })).body.error).toBe('invalid_grant');
    expect((await tokenRequest({ ...base, client_id: await registeredClient() })).body.error).toBe('invalid_grant');
    expect((await tokenRequest({ ...base, redirect_uri: 'http://127.0.0.1:53682/other' })).body.error).toBe('invalid_grant');
    expect((await tokenRequest({ ...base, resource: 'https://evil.example/mcp' })).body.error).toBe('invalid_target');
    const first = await tokenRequest(base);
    expect(first.status).toBe(200);
    expect((await mcpStatus(first.body.access_token)).status).toBe(200);
    const replay = await tokenRequest(base);
    expect(replay).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect((await mcpStatus(first.body.access_token)).status).toBe(401);
    expect((await tokenRequest({ grant_type: 'refresh_token', refresh_token: first.body.refresh_token, client_id: clientId })).body.error).toBe('invalid_grant');
    expect((await tokenRequest({ grant_type: 'password', username: 'x', password: 'y' })).body.error).toBe('unsupported_grant_type');
    const revoked = await gateway.gateway.db.auditEvent.findMany({ where: { siteId: site.siteId, type: 'mcp.sign_in_revoked' } });
    expect(revoked.map((event) => event.detail)).toContainEqual(expect.objectContaining({ reason: 'authorization code replayed', tokens: 2 }));
  });

  it('refresh tokens rotate on every use; presenting an old one revokes the whole sign-in', async () => {
    const { clientId, tokens } = await signedIn('heidi');
    const refresh = (token: string) => tokenRequest({ grant_type: 'refresh_token', refresh_token: token, client_id: clientId, resource: `${gateway.publicUrl}/mcp` });
    const second = await refresh(tokens.refresh_token);
    expect(second.status).toBe(200);
    expect(second.body.refresh_token).not.toBe(tokens.refresh_token);
    expect(second.body.access_token).not.toBe(tokens.access_token);
    expect((await mcpStatus(second.body.access_token)).status).toBe(200);
    const third = await refresh(second.body.refresh_token);
    expect(third.status).toBe(200);
    // The first refresh token again: a copy is in someone's hands. Everything of the family stops.
    const reuse = await refresh(tokens.refresh_token);
    expect(reuse).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect((await mcpStatus(third.body.access_token)).status).toBe(401);
    expect((await refresh(third.body.refresh_token)).body.error).toBe('invalid_grant');
    // Another client cannot use it; nor widen the scope.
    const other = await signedIn('heidi');
    expect((await tokenRequest({ grant_type: 'refresh_token', refresh_token: other.tokens.refresh_token, client_id: clientId })).body.error).toBe('invalid_grant');
    expect((await tokenRequest({ grant_type: 'refresh_token', refresh_token: other.tokens.refresh_token, client_id: other.clientId, scope: 'mcp:write' })).body.error).toBe('invalid_scope');
  });

  it('a client refreshing twice at once gets two answers; a reuse after the grace period still revokes the sign-in', async () => {
    const { clientId, tokens } = await signedIn('judy');
    const refresh = (token: string) => tokenRequest({ grant_type: 'refresh_token', refresh_token: token, client_id: clientId, resource: `${gateway.publicUrl}/mcp` });
    const [one, two] = await Promise.all([refresh(tokens.refresh_token), refresh(tokens.refresh_token)]);
    expect([one.status, two.status]).toEqual([200, 200]);
    expect((await mcpStatus(one.body.access_token)).status).toBe(200);
    expect((await mcpStatus(two.body.access_token)).status).toBe(200);
    // Moments later, but after the grace period: a copy in someone else's hands.
    await gateway.gateway.db.mcpToken.updateMany({ where: { endUser: 'judy', kind: 'REFRESH', usedAt: { not: null } }, data: { usedAt: new Date(Date.now() - 11_000) } });
    expect((await refresh(tokens.refresh_token)).body.error).toBe('invalid_grant');
    expect((await mcpStatus(one.body.access_token)).status).toBe(401);
    expect((await mcpStatus(two.body.access_token)).status).toBe(401);
  });

  it('an expired access token gets 401 with WWW-Authenticate, and the SDK client refreshes by itself', async () => {
    const auth = new TestAgentAuth('ivan');
    const client = await agentSignedInAs(auth);
    const before = auth.tokens()!;
    await gateway.gateway.db.mcpToken.updateMany({ where: { endUser: 'ivan', kind: 'ACCESS' }, data: { expiresAt: new Date(Date.now() - 1000) } });
    const expired = await mcpStatus(before.access_token);
    expect(expired.status).toBe(401);
    expect(expired.headers.get('www-authenticate')).toMatch(new RegExp(`^Bearer resource_metadata="${gateway.publicUrl}/\\.well-known/oauth-protected-resource/mcp", error="invalid_token"`));
    // The SDK sees the 401, refreshes with its refresh token and retries.
    expect((await call(client, 'list_connections')).isError).toBeFalsy();
    expect(auth.tokens()!.access_token).not.toBe(before.access_token);
  });

  it('the client can revoke its sign-in (RFC 7009), and the site can end all of an end user\'s', async () => {
    const revoke = (params: Record<string, string>) =>
      fetch(`${gateway.url}/oauth/mcp/revoke`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(params) });
    const first = await signedIn('kim');
    // Another client presenting it changes nothing, and learns nothing (same answer).
    const stranger = await registeredClient();
    expect((await revoke({ token: first.tokens.access_token, client_id: stranger })).status).toBe(200);
    expect((await mcpStatus(first.tokens.access_token)).status).toBe(200);
    expect((await revoke({ token: 'lkm_unknown', client_id: first.clientId })).status).toBe(200);
    expect((await revoke({ token: first.tokens.refresh_token, client_id: first.clientId })).status).toBe(200);
    expect((await mcpStatus(first.tokens.access_token)).status).toBe(401);
    expect((await tokenRequest({ grant_type: 'refresh_token', refresh_token: first.tokens.refresh_token, client_id: first.clientId })).body.error).toBe('invalid_grant');

    const [one, two, other] = [await signedIn('lee'), await signedIn('lee'), await signedIn('max')];
    const fn = await gateway.gql('mutation { createFunctionToken(input: {}) { token } }', undefined, site.token);
    expect((await gateway.gql('mutation { revokeMcpSignIns(endUser: "lee") }', undefined, fn.body.data.createFunctionToken.token)).body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await gateway.gql('mutation { revokeMcpSignIns(endUser: "lee") }', undefined, site.token)).body.data).toEqual({ revokeMcpSignIns: 2 });
    const bySite = await gateway.gateway.db.auditEvent.findMany({ where: { siteId: site.siteId, type: 'mcp.sign_in_revoked' } });
    expect(bySite.map((event) => event.detail)).toContainEqual({ reason: 'revoked by the site', endUser: 'lee', signIns: 2 });
    expect(bySite.map((event) => event.detail)).toContainEqual(expect.objectContaining({ reason: 'revoked by the client' }));
    expect((await mcpStatus(one.tokens.access_token)).status).toBe(401);
    expect((await mcpStatus(two.tokens.access_token)).status).toBe(401);
    expect((await mcpStatus(other.tokens.access_token)).status).toBe(200);
    // Another site cannot end this site's sign-ins.
    const elsewhere = await gateway.createSite('Elsewhere', [ORIGIN]);
    expect((await gateway.gql('mutation { revokeMcpSignIns(endUser: "max") }', undefined, elsewhere.token)).body.data).toEqual({ revokeMcpSignIns: 0 });
    expect((await mcpStatus(other.tokens.access_token)).status).toBe(200);
  });

  it('no code, token, assertion or verifier reaches a log line', () => {
    const logs = gateway.logs.join('\n');
    expect(logs).not.toMatch(/lkm_|lkmr_|lkmc_|lkma_/);
    expect(logs).toContain('mcp.sign_in_approved');
  });
});

describe('client ID metadata documents', () => {
  it('accepts a document whose client_id is its own URL, and refuses one that names another', async () => {
    const documents = await startTinyServer((base) => ({
      '/good.json': json({ client_id: `${base}/good.json`, client_name: 'Documented Agent', redirect_uris: [REDIRECT] }),
      '/mismatch.json': json({ client_id: 'https://other.example/client.json', client_name: 'Liar', redirect_uris: [REDIRECT] }),
      '/huge.json': json({ client_id: `${base}/huge.json`, redirect_uris: [REDIRECT], padding: 'x'.repeat(40_000) }),
    }));
    try {
      const { verifier, challenge } = pkce();
      const clientId = `${documents.base}/good.json`;
      const back = await signInInBrowser(authorizeUrl(clientId, challenge), 'judy');
      const exchanged = await tokenRequest({ grant_type: 'authorization_code', code: back.searchParams.get('code')!, code_verifier: verifier, client_id: clientId, redirect_uri: REDIRECT });
      expect(exchanged.status).toBe(200);
      for (const path of ['/mismatch.json', '/huge.json', '/missing.json']) {
        const response = await fetch(authorizeUrl(`${documents.base}${path}`, challenge), { redirect: 'manual' });
        expect(response.status, path).toBe(400);
        expect(response.headers.get('location')).toBeNull();
        expect(await response.text()).toContain('invalid_client');
      }
    } finally {
      await documents.close();
    }
  });

  it('refuses a document URL on a loopback host under the default outbound policy', async () => {
    const strict = await startTestGateway({ LATCHKEY_RATE_LIMIT_ADDRESS_PER_MINUTE: '4' });
    const documents = await startTinyServer((base) => ({ '/client.json': json({ client_id: `${base}/client.json`, redirect_uris: [REDIRECT] }) }));
    try {
      const url = new URL(`${strict.url}/oauth/mcp/authorize`);
      const params = { response_type: 'code', client_id: `${documents.base}/client.json`, redirect_uri: REDIRECT, code_challenge: pkce().challenge, code_challenge_method: 'S256', resource: `${strict.publicUrl}/mcp` };
      for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
      const response = await fetch(url, { redirect: 'manual' });
      expect(response.status).toBe(400);
      expect(await response.text()).toContain('LATCHKEY_MCP_CLIENT_METADATA_ALLOW_LOOPBACK');
      expect(documents.hits('/client.json')).toBe(0);
      // The sign-in routes count in the per-address limit: a registration flood is cut off.
      const statuses: number[] = [];
      for (let index = 0; index < 4; index += 1) {
        const response = await fetch(`${strict.url}/oauth/mcp/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ redirect_uris: [REDIRECT] }) });
        statuses.push(response.status);
        if (response.status === 429) expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
      }
      expect(statuses).toEqual([201, 201, 201, 429]);
    } finally {
      await documents.close();
      await strict.close();
    }
  });
});

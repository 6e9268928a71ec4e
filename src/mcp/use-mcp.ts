// Serves the MCP server at /mcp (Streamable HTTP, stateless: a new server and transport per
// request, so any instance answers any request) and its RFC 9728 protected-resource metadata.
//
// Options: `services` (the gateway's), `schema` (the GraphQL schema the typed tools run),
// `publicUrl` (where clients reach the gateway; names the resource and the metadata), `version`.
//
// Besides site and function tokens, /mcp accepts the access tokens of the gateway's own
// authorization server (src/mcp/authorization-server.ts). `/mcp?site=<site id>` names the site an
// MCP client signs in through: its 401 and resource metadata point at that site's issuer.
import { randomUUID } from 'node:crypto';
import type { Plugin } from 'graphql-yoga';
import type { GraphQLSchema } from 'graphql';
import type { Services } from '../services.js';
import type { GraphQLContext } from '../context.js';
import { LatchkeyError } from '../errors.js';
import { parseBearer, type SiteCaller } from '../sites/sites.js';
import type { McpCaller, McpTools } from './mcp-server.js';
import type { CallerLimits } from '../http/use-rate-limits.js';
import { isSiteId, MCP_ACCESS_TOKEN_PREFIX, MCP_SCOPES, siteIssuerOf } from './authorization-server.js';
import type { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';

export const MCP_PATH = '/mcp';
export const RESOURCE_METADATA_PATH = '/.well-known/oauth-protected-resource';

export interface UseMcpOptions {
  services: Services;
  schema: GraphQLSchema;
  publicUrl: string;
  version: string;
  /** The gateway's per-token, per-site and startAuth limits (none when absent). */
  limits?: CallerLimits;
}

function jsonResponse(body: unknown, status: number, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers },
  });
}

/** RFC 9728 §2: what a client needs to know about the /mcp resource; with a site, that site's issuer. */
export function protectedResourceMetadata(publicUrl: string, siteId: string | null = null): Record<string, unknown> {
  return {
    resource: `${publicUrl}${MCP_PATH}`,
    // Clients may also present a site or function token they were given, without signing in.
    authorization_servers: [siteId ? siteIssuerOf(publicUrl, siteId) : publicUrl],
    scopes_supported: Object.keys(MCP_SCOPES),
    bearer_methods_supported: ['header'],
    resource_name: 'Latchkey MCP server',
    resource_documentation: `${publicUrl}/graphql`,
  };
}

/**
 * The server is stateless, so what a client declared at initialize is not known to the requests
 * after it. A client that declared URL elicitation gets a session id saying so, which it sends back
 * with every request (any instance can read it); clients that did not get no session id, exactly as
 * before. The id grants nothing: every request is still authorized by its own bearer token.
 */
const URL_ELICITATION_SESSION = 'lkmcp-url-';

async function declaresUrlElicitation(request: Request): Promise<boolean> {
  if (request.method !== 'POST' || request.headers.get('mcp-session-id')) return false;
  try {
    const body = (await request.clone().json()) as unknown;
    const messages = Array.isArray(body) ? body : [body];
    return messages.some((message) => {
      const m = message as { method?: unknown; params?: { capabilities?: { elicitation?: { url?: unknown } } } };
      return m?.method === 'initialize' && typeof m.params?.capabilities?.elicitation?.url === 'object' && m.params.capabilities.elicitation.url !== null;
    });
  } catch {
    return false;
  }
}

export function useMcp(options: UseMcpOptions): Plugin<GraphQLContext> {
  // The MCP SDK and the tools are loaded on the first /mcp request: most gateways never get one,
  // and the SDK is a good part of the start-up time and memory.
  let loaded: Promise<{ tools: McpTools; Transport: typeof WebStandardStreamableHTTPServerTransport }> | undefined;
  const load = () =>
    (loaded ??= Promise.all([import('./mcp-server.js'), import('@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js')]).then(([server, transport]) => ({
      tools: server.createMcpTools({ services: options.services, schema: options.schema, version: options.version, startAuthLimit: options.limits?.startAuth }),
      Transport: transport.WebStandardStreamableHTTPServerTransport,
    })));
  const metadataUrl = `${options.publicUrl}${RESOURCE_METADATA_PATH}${MCP_PATH}`;

  /** The site an MCP URL names (`/mcp?site=<id>`), whose issuer the client should sign in with. */
  function siteOf(request: Request): string | null {
    const site = new URL(request.url).searchParams.get('site');
    return site && isSiteId(site) ? site : null;
  }

  function unauthorized(message: string, request: Request, error?: 'invalid_token'): Response {
    const site = siteOf(request);
    const where = site ? `${metadataUrl}?site=${site}` : metadataUrl;
    // RFC 6750 §3 / RFC 9728 §5.1: where to learn how to get a token.
    return jsonResponse(
      { jsonrpc: '2.0', error: { code: -32001, message }, id: null },
      401,
      { 'www-authenticate': `Bearer resource_metadata="${where}"${error ? `, error="${error}", error_description="${message.replace(/["\\]/g, '')}"` : ''}` },
    );
  }

  /** An access token of the gateway's authorization server: its end user, with its scopes. */
  async function signedInCallerOf(token: string, request: Request): Promise<McpCaller | Response> {
    const grant = await options.services.mcpAuthorization.authenticate(token);
    if ('problem' in grant) return unauthorized(grant.problem, request, 'invalid_token');
    const caller: SiteCaller = { kind: 'site', siteId: grant.siteId, tokenId: grant.tokenId, tokenKind: 'FUNCTION', services: null, canConnect: false, endUser: grant.endUser };
    return { caller, owner: { endUser: grant.endUser, account: null }, scopes: grant.scopes };
  }

  async function callerOf(request: Request): Promise<SiteCaller | McpCaller | Response> {
    let token: string | null;
    try {
      token = parseBearer(request.headers.get('authorization'));
    } catch {
      token = null;
    }
    if (token?.startsWith(MCP_ACCESS_TOKEN_PREFIX)) return signedInCallerOf(token, request);
    let caller;
    try {
      caller = await options.services.sites.authenticate(request.headers.get('authorization'));
    } catch (error) {
      if (error instanceof LatchkeyError && error.code === 'UNAUTHENTICATED') return unauthorized(error.message, request);
      throw error;
    }
    if (!caller) return unauthorized('Authentication required: send "Authorization: Bearer <site token or function token>", or sign in with OAuth (see the resource metadata).', request);
    if (caller.kind !== 'site') return jsonResponse({ jsonrpc: '2.0', error: { code: -32003, message: 'The admin token has no connections: use a site token or a function token.' }, id: null }, 403);
    if (caller.canConnect) {
      return jsonResponse(
        { jsonrpc: '2.0', error: { code: -32003, message: 'Browser-facing tokens (canConnect, connect links) cannot call services: use a function token minted by your backend.' }, id: null },
        403,
      );
    }
    return caller;
  }

  async function handle(request: Request, serverContext: unknown): Promise<Response> {
    const caller = await callerOf(request);
    if (caller instanceof Response) return caller;
    const refused = await options.limits?.request('owner' in caller ? caller.caller : caller, request, serverContext);
    if (refused) return refused;
    // A function token bound to an end user makes that end user the owner of every call.
    const base: McpCaller = 'owner' in caller ? caller : { caller, owner: { endUser: caller.endUser ?? null, account: null } };
    const who: McpCaller = { ...base, urlElicitation: request.headers.get('mcp-session-id')?.startsWith(URL_ELICITATION_SESSION) === true };
    const initializesWithUrlElicitation = await declaresUrlElicitation(request);
    const { tools, Transport } = await load();
    const server = tools.serverFor(who, request);
    const transport = new Transport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    await server.connect(transport);
    try {
      const response = await transport.handleRequest(request);
      response.headers.set('cache-control', 'no-store');
      if (initializesWithUrlElicitation && response.ok) response.headers.set('mcp-session-id', `${URL_ELICITATION_SESSION}${randomUUID()}`);
      return response;
    } finally {
      void server.close();
    }
  }

  return {
    async onRequest({ request, url, serverContext, endResponse }) {
      if (url.pathname === RESOURCE_METADATA_PATH || url.pathname === `${RESOURCE_METADATA_PATH}${MCP_PATH}`) {
        if (request.method !== 'GET') return endResponse(new Response('Method Not Allowed', { status: 405, headers: { allow: 'GET' } }));
        const site = url.searchParams.get('site');
        return endResponse(jsonResponse(protectedResourceMetadata(options.publicUrl, site && isSiteId(site) ? site : null), 200, { 'access-control-allow-origin': '*' }));
      }
      if (url.pathname === MCP_PATH) return endResponse(await handle(request, serverContext));
    },
  };
}

// Serves the MCP server at /mcp (Streamable HTTP, stateless: a new server and transport per
// request, so any instance answers any request) and its RFC 9728 protected-resource metadata.
//
// Options: `services` (the gateway's), `schema` (the GraphQL schema the typed tools run),
// `publicUrl` (where clients reach the gateway; names the resource and the metadata), `version`.
import type { Plugin } from 'graphql-yoga';
import type { GraphQLSchema } from 'graphql';
import type { Services } from '../services.js';
import type { GraphQLContext } from '../context.js';
import { LatchkeyError } from '../errors.js';
import type { SiteCaller } from '../sites/sites.js';
import type { McpCaller, McpTools } from './mcp-server.js';
import type { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';

export const MCP_PATH = '/mcp';
export const RESOURCE_METADATA_PATH = '/.well-known/oauth-protected-resource';

export interface UseMcpOptions {
  services: Services;
  schema: GraphQLSchema;
  publicUrl: string;
  version: string;
}

function jsonResponse(body: unknown, status: number, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers },
  });
}

/** RFC 9728 §2: what a client needs to know about the /mcp resource. */
export function protectedResourceMetadata(publicUrl: string): Record<string, unknown> {
  return {
    // No authorization_servers: clients present a site or function token they were given.
    resource: `${publicUrl}${MCP_PATH}`,
    bearer_methods_supported: ['header'],
    resource_name: 'Latchkey MCP server',
    resource_documentation: `${publicUrl}/graphql`,
  };
}

export function useMcp(options: UseMcpOptions): Plugin<GraphQLContext> {
  // The MCP SDK and the tools are loaded on the first /mcp request: most gateways never get one,
  // and the SDK is a good part of the start-up time and memory.
  let loaded: Promise<{ tools: McpTools; Transport: typeof WebStandardStreamableHTTPServerTransport }> | undefined;
  const load = () =>
    (loaded ??= Promise.all([import('./mcp-server.js'), import('@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js')]).then(([server, transport]) => ({
      tools: server.createMcpTools({ services: options.services, schema: options.schema, version: options.version }),
      Transport: transport.WebStandardStreamableHTTPServerTransport,
    })));
  const metadataUrl = `${options.publicUrl}${RESOURCE_METADATA_PATH}${MCP_PATH}`;

  function unauthorized(message: string): Response {
    // RFC 6750 §3 / RFC 9728 §5.1: where to learn how to get a token.
    return jsonResponse(
      { jsonrpc: '2.0', error: { code: -32001, message }, id: null },
      401,
      { 'www-authenticate': `Bearer resource_metadata="${metadataUrl}"` },
    );
  }

  async function callerOf(request: Request): Promise<SiteCaller | Response> {
    let caller;
    try {
      caller = await options.services.sites.authenticate(request.headers.get('authorization'));
    } catch (error) {
      if (error instanceof LatchkeyError && error.code === 'UNAUTHENTICATED') return unauthorized(error.message);
      throw error;
    }
    if (!caller) return unauthorized('Authentication required: send "Authorization: Bearer <site token or function token>".');
    if (caller.kind !== 'site') return jsonResponse({ jsonrpc: '2.0', error: { code: -32003, message: 'The admin token has no connections: use a site token or a function token.' }, id: null }, 403);
    if (caller.canConnect) {
      return jsonResponse(
        { jsonrpc: '2.0', error: { code: -32003, message: 'Browser-facing tokens (canConnect, connect links) cannot call services: use a function token minted by your backend.' }, id: null },
        403,
      );
    }
    return caller;
  }

  async function handle(request: Request): Promise<Response> {
    const caller = await callerOf(request);
    if (caller instanceof Response) return caller;
    // A function token bound to an end user makes that end user the owner of every call.
    const who: McpCaller = { caller, owner: { endUser: caller.endUser ?? null, account: null } };
    const { tools, Transport } = await load();
    const server = tools.serverFor(who, request);
    const transport = new Transport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    await server.connect(transport);
    try {
      const response = await transport.handleRequest(request);
      response.headers.set('cache-control', 'no-store');
      return response;
    } finally {
      void server.close();
    }
  }

  return {
    async onRequest({ request, url, endResponse }) {
      if (url.pathname === RESOURCE_METADATA_PATH || url.pathname === `${RESOURCE_METADATA_PATH}${MCP_PATH}`) {
        if (request.method !== 'GET') return endResponse(new Response('Method Not Allowed', { status: 405, headers: { allow: 'GET' } }));
        return endResponse(jsonResponse(protectedResourceMetadata(options.publicUrl), 200, { 'access-control-allow-origin': '*' }));
      }
      if (url.pathname === MCP_PATH) return endResponse(await handle(request));
    },
  };
}

// The MCP server's tools, for one authenticated caller. Everything runs through the same code as
// GraphQL (the typed tools execute the schema in-process, call_api is the proxy), so the same
// authorization, owner rules and errors apply. Tool results and errors never carry a credential:
// they are built from GraphQL data that has none, and from contract errors whose messages never do.
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ListToolsRequestSchema, UrlElicitationRequiredError, type CallToolResult, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { randomUUID } from 'node:crypto';
import { execute, GraphQLError, parse, type DocumentNode, type GraphQLSchema } from 'graphql';
import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import type { GraphQLContext } from '../context.js';
import type { Services } from '../services.js';
import { DEFAULT_FUNCTION_TOKEN_TTL_SECONDS, type SiteCaller } from '../sites/sites.js';
import { connectPageUrl } from '../sites/connect-links.js';
import { forbidden, LatchkeyError } from '../errors.js';
import { MissingScopesError } from '../connections/scope-check.js';
import { grantedScopesOf } from '../connections/connection-store.js';
import { ownerOf } from '../connections/owners.js';
import { isUsable } from '../connections/token-refresh.js';
import { providerList } from '../providers/index.js';
import { labelOf, siteSlugOf, splitServiceKeys } from '../registry/service-keys.js';
import { publicKeyOf } from '../registry/service-registry.js';
import type { ServiceKey } from '../providers/types.js';
import { parseServiceKey, proxyCall, type Owner } from '../proxy/proxy.js';
import { graphQLTools, type GraphQLTool } from './graphql-tools.js';

export const MCP_SERVER_NAME = 'latchkey';

export interface McpDeps {
  services: Services;
  schema: GraphQLSchema;
  version: string;
  /** Takes one point of the caller's startAuth limit before an attempt starts; throws RATE_LIMITED. */
  startAuthLimit?: ((caller: SiteCaller) => Promise<void>) | undefined;
}

/** Who is calling: the token's site, its limits, and whose connections its calls use. */
export interface McpCaller {
  caller: SiteCaller;
  owner: Owner;
  /** The OAuth scopes of an access token from the gateway's authorization server (absent for site and function tokens). */
  scopes?: readonly string[];
  /** The client declared URL elicitation when it initialized: a missing connection is asked for through it. */
  urlElicitation?: boolean;
}

function readOnlyReason(who: McpCaller, bearerHint: string): string {
  return who.scopes ? 'this sign-in was granted mcp:read only: sign in again and grant mcp:write.' : `this token is read-only: ${bearerHint}`;
}

/** Whether this caller's tools may change data: the site token, or a signed-in client granted mcp:write. */
function writable(who: McpCaller): boolean {
  return who.scopes ? who.scopes.includes('mcp:write') : mayWrite(who.caller);
}

/**
 * Writes (mutating tools, call_api with a method other than GET) need the site token: function
 * tokens are read-only. The end users' work may widen this for tokens minted to write.
 */
export function mayWrite(caller: SiteCaller): boolean {
  return caller.tokenKind === 'SITE';
}

const DESTRUCTIVE = /^(remove|delete|unstar|unfollow|pause|skip)/i;

const serviceKeyText = (key: ServiceKey) => publicKeyOf(key);
const friendlyName = (key: ServiceKey) => siteSlugOf(key) ?? labelOf(key);

function json(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

function ok(data: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text: json(data) }], structuredContent: data };
}

function toolError(text: string, extra: Record<string, unknown> = {}): CallToolResult {
  return { content: [{ type: 'text', text }], structuredContent: { error: extra }, isError: true };
}

/** An agent's context is small: beyond this many connections the list says it is truncated. */
const LIST_CONNECTIONS_MAX = 500;

const handWritten: Tool[] = [
  {
    name: 'list_connections',
    description: "The connections of this caller's owner, every account of each service: service, account, status and granted scopes (never a token). Newest first; at most 500.",
    inputSchema: { type: 'object', properties: {}, additionalProperties: false },
    annotations: { title: 'List connections', readOnlyHint: true, openWorldHint: false },
  },
  {
    name: 'connect_service',
    description: 'A URL the person opens in a browser to connect a service (or to grant more scopes). Give it to the person, wait for them to finish, then call again.',
    inputSchema: {
      type: 'object',
      properties: {
        service: { type: 'string', description: 'A catalog key in lower case ("github") or "custom:<slug>".' },
        scopes: { type: 'array', items: { type: 'string' }, description: "Scopes to ask for; default: the service's default scopes." },
      },
      required: ['service'],
      additionalProperties: false,
    },
    annotations: { title: 'Connect a service', readOnlyHint: true, openWorldHint: false },
  },
  {
    name: 'call_api',
    description:
      "Calls any path of a connected service's REST API with the owner's credential, which the gateway adds (and never shows). Answers { status, headers, json, text }. Methods other than GET need a token that may write.",
    inputSchema: {
      type: 'object',
      properties: {
        service: { type: 'string', description: 'A catalog key in lower case ("github") or "custom:<slug>".' },
        method: { type: 'string', enum: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] },
        path: { type: 'string', description: 'Relative to the API base URL, e.g. "/user/repos".' },
        query: { type: 'object', description: 'Query parameters.', additionalProperties: true },
        body: { description: 'A JSON body for POST, PUT, PATCH and DELETE.' },
        account: { type: 'string', description: 'Which connected account (its foreignUserId, or "default"); default: the most recent.' },
      },
      required: ['service', 'method', 'path'],
      additionalProperties: false,
    },
    annotations: { title: 'Call an API', readOnlyHint: false, destructiveHint: true, openWorldHint: true },
  },
];

const connectArgs = z.object({ service: z.string().min(1).max(100), scopes: z.array(z.string().min(1).max(200)).max(50).optional() }).strict();
const callArgs = z
  .object({
    service: z.string().min(1).max(100),
    method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']),
    path: z.string().max(4096),
    query: z.record(z.string(), z.unknown()).optional(),
    body: z.unknown().optional(),
    account: z.string().min(1).max(256).optional(),
  })
  .strict();

function parseArgs<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw new LatchkeyError('BAD_USER_INPUT', `${issue.path.map(String).join('.') || 'arguments'}: ${issue.message}`);
}

export function createMcpTools(deps: McpDeps) {
  const typed = graphQLTools(deps.schema, providerList.map((provider) => provider.graphQLField));
  const typedByName = new Map(typed.map((tool) => [tool.name, tool]));
  const documents = new LRUCache<string, DocumentNode>({ max: 500 });
  const toolList: Tool[] = [
    ...handWritten,
    ...typed.map(
      (tool): Tool => ({
        name: tool.name,
        description: tool.description,
        inputSchema: tool.inputSchema as Tool['inputSchema'],
        annotations: tool.mutation
          ? { readOnlyHint: false, destructiveHint: DESTRUCTIVE.test(tool.field), idempotentHint: false, openWorldHint: true }
          : { readOnlyHint: true, openWorldHint: true },
      }),
    ),
  ];

  function contextFor(who: McpCaller, request: Request): GraphQLContext {
    return { services: deps.services, db: deps.services.db, caller: who.caller, request };
  }

  /** The URL a person opens to connect `service` for the caller's owner. */
  async function connectUrl(who: McpCaller, service: ServiceKey, scopes?: readonly string[]): Promise<string> {
    const { caller, owner } = who;
    if (caller.services !== null && !caller.services.includes(service)) {
      throw forbidden(`This token may not use ${serviceKeyText(service)}: use a token whose services include it.`);
    }
    if (owner.endUser !== null) {
      // An end user connects through a connect session of their own, limited to this one service:
      // the page it opens can start, see and disconnect that end user's connection and nothing else.
      const { token } = await deps.services.sites.createFunctionToken(caller.siteId, {
        ...splitServiceKeys([service]),
        ttlSeconds: DEFAULT_FUNCTION_TOKEN_TTL_SECONDS,
        label: 'MCP connect session',
        canConnect: true,
        endUser: owner.endUser,
      });
      return `${connectPageUrl(deps.services.config.publicUrl)}#token=${token}`;
    }
    await deps.startAuthLimit?.(caller);
    const started = await deps.services.flow.start(caller.siteId, { service, scopes: scopes ?? null });
    return started.authorizationUrl;
  }

  async function notConnected(who: McpCaller, service: ServiceKey, error: LatchkeyError): Promise<CallToolResult> {
    const name = friendlyName(service);
    const missingScopes = error instanceof MissingScopesError ? error.missingScopes : undefined;
    const why = missingScopes
      ? `The ${name} connection lacks the scope${missingScopes.length > 1 ? 's' : ''} ${missingScopes.join(', ')}`
      : `${name} is not connected${error.code === 'NEEDS_REAUTH' ? ' any more (the stored authorization was refused)' : ''}`;
    let url: string;
    try {
      url = await connectUrl(who, service, missingScopes);
    } catch (cause) {
      return failure(cause);
    }
    if (who.urlElicitation) {
      // MCP 2025-11-25 URL elicitation: the client shows the person the URL, then retries the call.
      throw new UrlElicitationRequiredError([{ mode: 'url', elicitationId: randomUUID(), url, message: `${why}. Open this page to connect it, then try again.` }]);
    }
    return toolError(`${why}. Ask the person to open this URL in a browser and approve, then call this tool again:\n${url}`, {
      code: error.code,
      service: serviceKeyText(service),
      connectUrl: url,
      ...(missingScopes ? { missingScopes } : {}),
    });
  }

  /** A contract error as a tool error; anything unexpected as a message that reveals nothing. */
  function failure(error: unknown): CallToolResult {
    if (error instanceof GraphQLError && typeof error.extensions?.code === 'string' && error.extensions.code !== 'INTERNAL_SERVER_ERROR') {
      const code = error.extensions.code;
      const { http: _http, ...extensions } = error.extensions as Record<string, unknown>;
      return toolError(`${code}: ${error.message}`, { ...extensions, code });
    }
    deps.services.logger.error('mcp tool failed', { kind: error instanceof Error ? error.name : typeof error });
    return toolError('The gateway could not complete this call; try again shortly.', { code: 'INTERNAL_SERVER_ERROR' });
  }

  async function withConnection(who: McpCaller, service: ServiceKey, run: () => Promise<CallToolResult>): Promise<CallToolResult> {
    try {
      return await run();
    } catch (error) {
      if (error instanceof MissingScopesError || (error instanceof LatchkeyError && (error.code === 'NOT_LOGGED_IN' || error.code === 'NEEDS_REAUTH'))) {
        return notConnected(who, service, error);
      }
      return failure(error);
    }
  }

  /**
   * Every connection of the owner, every account of each service, newest first. The owner is read
   * from the store rather than through `connections`, whose omitted endUser means every owner's for a
   * site token: a site's agent would see its end users' accounts, which its call_api cannot use.
   */
  async function listConnections(who: McpCaller): Promise<CallToolResult> {
    const { caller } = who;
    const filter = { siteId: caller.siteId, owner: ownerOf(caller.siteId, who.owner.endUser), services: caller.services ?? undefined };
    const rows = await deps.services.store.listPage(filter, LIST_CONNECTIONS_MAX + 1);
    const connections = rows.slice(0, LIST_CONNECTIONS_MAX).map((row) => ({
      service: serviceKeyText(row.service as ServiceKey),
      account: row.accountKey,
      accountName: row.foreignUserName ?? null,
      status: row.status,
      // As Connection.grantedScopes: a connection that cannot be used grants nothing.
      scopes: isUsable(row) ? grantedScopesOf(row) : [],
    }));
    return ok(rows.length > LIST_CONNECTIONS_MAX ? { connections, truncated: true } : { connections });
  }

  async function runGraphQL(document: string, variables: Record<string, unknown>, who: McpCaller, request: Request): Promise<Record<string, unknown>> {
    let parsed = documents.get(document);
    if (!parsed) {
      parsed = parse(document);
      documents.set(document, parsed);
    }
    const result = await execute({ schema: deps.schema, document: parsed, variableValues: variables, contextValue: contextFor(who, request) });
    const error = result.errors?.[0];
    if (error) throw error.originalError instanceof GraphQLError ? error.originalError : error;
    return (result.data ?? {}) as Record<string, unknown>;
  }

  async function callTyped(tool: GraphQLTool, args: Record<string, unknown>, who: McpCaller, request: Request): Promise<CallToolResult> {
    const service = parseServiceKey(tool.service);
    if (tool.mutation && !writable(who)) {
      return toolError(`FORBIDDEN: ${tool.name} changes data and ${readOnlyReason(who, 'use the site token.')}`, { code: 'FORBIDDEN' });
    }
    return withConnection(who, service, async () => {
      const data = await runGraphQL(tool.document, args, who, request);
      const value = (data[tool.service] as Record<string, unknown>)[tool.field];
      return ok({ [tool.field]: value ?? null });
    });
  }

  async function call(name: string, args: Record<string, unknown> | undefined, who: McpCaller, request: Request): Promise<CallToolResult> {
    try {
      switch (name) {
        case 'list_connections':
          return await listConnections(who);
        case 'connect_service': {
          const input = parseArgs(connectArgs, args);
          const service = parseServiceKey(input.service);
          const url = await connectUrl(who, service, input.scopes);
          return ok({ service: serviceKeyText(service), url, instructions: `Open the URL in a browser to connect ${friendlyName(service)}; then call the tool again.` });
        }
        case 'call_api': {
          const input = parseArgs(callArgs, args);
          const service = parseServiceKey(input.service);
          if (input.method !== 'GET' && !writable(who)) {
            return toolError(`FORBIDDEN: ${input.method} changes data and ${readOnlyReason(who, 'use GET, or the site token.')}`, { code: 'FORBIDDEN' });
          }
          return await withConnection(who, service, async () => {
            const response = await proxyCall(contextFor(who, request), {
              service: input.service,
              endUser: who.owner.endUser,
              account: input.account ?? who.owner.account,
              method: input.method,
              path: input.path,
              query: input.query,
              body: input.method === 'GET' ? undefined : input.body,
            });
            return ok({ ...response });
          });
        }
        default: {
          const tool = typedByName.get(name);
          if (!tool) return toolError(`There is no tool ${JSON.stringify(name.slice(0, 100))}: list the tools for their names.`, { code: 'NOT_FOUND' });
          return await callTyped(tool, args ?? {}, who, request);
        }
      }
    } catch (error) {
      if (error instanceof UrlElicitationRequiredError) throw error;
      return failure(error);
    }
  }

  /** A fresh MCP server for one HTTP request (stateless: any instance answers any request). */
  function serverFor(who: McpCaller, request: Request): Server {
    const server = new Server({ name: MCP_SERVER_NAME, version: deps.version }, { capabilities: { tools: {} } });
    server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: toolList }));
    server.setRequestHandler(CallToolRequestSchema, async (message) => {
      const result = await call(message.params.name, message.params.arguments, who, request);
      deps.services.logger.info('mcp tool call', { tool: message.params.name.slice(0, 100), ok: !result.isError, code: (result.structuredContent?.error as { code?: string } | undefined)?.code });
      return result;
    });
    return server;
  }

  return { serverFor, tools: toolList };
}

export type McpTools = ReturnType<typeof createMcpTools>;

// The OAuth clients of the MCP authorization server: registered by dynamic client registration
// (RFC 7591), or identified by the https URL of their Client ID Metadata Document, which the gateway
// fetches under the outbound URL policy. Every client is public (no secret): PKCE binds its codes.
import { LRUCache } from 'lru-cache';
import ipaddr from 'ipaddr.js';
import type { Database } from '../db/database.js';
import type { Logger } from '../logger.js';
import { generateId } from '../crypto/opaque-token.js';
import { checkOutboundUrl, createGuardedFetch, type OutboundUrlPolicy } from '../net/outbound-url-policy.js';
import { LatchkeyError } from '../errors.js';

export const CLIENT_ID_PREFIX = 'lkcl';
const MAX_REDIRECT_URIS = 10;
const MAX_URI_LENGTH = 2048;
const MAX_NAME_LENGTH = 200;
/** A metadata document is a few hundred bytes; anything much larger is refused rather than parsed. */
const MAX_METADATA_DOCUMENT_BYTES = 16 * 1024;
const METADATA_FETCH_TIMEOUT_MS = 5000;
const METADATA_CACHE_MS = 5 * 60 * 1000;
/** A registration that has not completed a sign-in within this time is deleted (registration floods). */
const UNUSED_CLIENT_MS = 24 * 3600 * 1000;

/** What the authorization server needs to know of a client. */
export interface McpClientInfo {
  clientId: string;
  clientName: string | null;
  redirectUris: string[];
  /** REGISTERED (RFC 7591) or METADATA_DOCUMENT (client_id is the document's URL). */
  kind: 'REGISTERED' | 'METADATA_DOCUMENT';
}

/** An RFC 7591 §3.2.2 registration error, or a client that cannot be used. */
export class ClientMetadataError extends Error {
  constructor(
    readonly error: 'invalid_redirect_uri' | 'invalid_client_metadata' | 'invalid_client',
    readonly description: string,
  ) {
    super(description);
  }
}

function isLoopbackHost(hostname: string): boolean {
  const bare = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  if (bare === 'localhost') return true;
  return ipaddr.isValid(bare) && ipaddr.process(bare).range() === 'loopback';
}

/** A redirect URI the gateway will send codes to: https, or http on a loopback host (RFC 8252 §7.3); exact, no fragment. */
export function redirectUriProblem(value: string): string | null {
  if (value.length > MAX_URI_LENGTH) return `redirect URIs must be at most ${MAX_URI_LENGTH} characters.`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `${JSON.stringify(value.slice(0, 100))} is not an absolute URL.`;
  }
  if (url.hash || value.includes('#')) return 'redirect URIs must not contain a fragment (#…).';
  if (url.username || url.password) return 'redirect URIs must not contain credentials (user:password@).';
  if (url.protocol === 'https:') return null;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return null;
  return `${JSON.stringify(value.slice(0, 100))} is refused: redirect URIs must be https://, or http:// on a loopback host (127.0.0.1, [::1], localhost).`;
}

/** Checks client metadata (a registration or a metadata document) and returns what is kept. */
async function acceptMetadata(input: unknown): Promise<{ metadata: Record<string, unknown>; clientName: string | null; redirectUris: string[] }> {
  // The SDK loads on the first registration, as /mcp loads it on first use: most gateways never get one.
  const { OAuthClientMetadataSchema } = await import('@modelcontextprotocol/sdk/shared/auth.js');
  const parsed = OAuthClientMetadataSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ClientMetadataError('invalid_client_metadata', `${issue.path.map(String).join('.') || 'metadata'}: ${issue.message}`);
  }
  const metadata = parsed.data;
  if (metadata.redirect_uris.length === 0 || metadata.redirect_uris.length > MAX_REDIRECT_URIS) {
    throw new ClientMetadataError('invalid_redirect_uri', `redirect_uris must list 1 to ${MAX_REDIRECT_URIS} URIs.`);
  }
  for (const uri of metadata.redirect_uris) {
    const problem = redirectUriProblem(uri);
    if (problem) throw new ClientMetadataError('invalid_redirect_uri', problem);
  }
  const method = metadata.token_endpoint_auth_method ?? 'none';
  if (method !== 'none') {
    throw new ClientMetadataError('invalid_client_metadata', `token_endpoint_auth_method "${method.slice(0, 50)}" is not supported: clients are public ("none") and use PKCE.`);
  }
  const grants = metadata.grant_types ?? ['authorization_code'];
  if (grants.some((grant) => grant !== 'authorization_code' && grant !== 'refresh_token')) {
    throw new ClientMetadataError('invalid_client_metadata', 'grant_types may only be authorization_code and refresh_token.');
  }
  if ((metadata.response_types ?? ['code']).some((type) => type !== 'code')) {
    throw new ClientMetadataError('invalid_client_metadata', 'response_types may only be "code".');
  }
  const clientName = metadata.client_name?.trim().slice(0, MAX_NAME_LENGTH) || null;
  const kept = {
    redirect_uris: metadata.redirect_uris,
    token_endpoint_auth_method: 'none',
    grant_types: grants,
    response_types: ['code'],
    ...(clientName ? { client_name: clientName } : {}),
    ...(metadata.client_uri && metadata.client_uri.length <= MAX_URI_LENGTH ? { client_uri: metadata.client_uri } : {}),
    ...(metadata.scope ? { scope: metadata.scope.slice(0, 500) } : {}),
    ...(metadata.software_id ? { software_id: metadata.software_id.slice(0, 200) } : {}),
    ...(metadata.software_version ? { software_version: metadata.software_version.slice(0, 100) } : {}),
  };
  return { metadata: kept, clientName, redirectUris: metadata.redirect_uris };
}

export interface McpClientsDeps {
  db: Database;
  logger: Logger;
  /** Where metadata documents may be fetched from. */
  metadataPolicy: OutboundUrlPolicy;
}

export function createMcpClients(deps: McpClientsDeps) {
  const role = {
    label: 'The client_id (a client metadata document URL)',
    field: 'client_id',
    purpose: 'fetch client metadata from',
    allowLoopbackSetting: 'LATCHKEY_MCP_CLIENT_METADATA_ALLOW_LOOPBACK',
    allowPrivateSetting: 'LATCHKEY_MCP_CLIENT_METADATA_ALLOW_PRIVATE_NETWORKS',
  };
  const guardedFetch = createGuardedFetch(deps.metadataPolicy, role, METADATA_FETCH_TIMEOUT_MS);
  const documents = new LRUCache<string, McpClientInfo>({ max: 1000, ttl: METADATA_CACHE_MS });

  /** RFC 7591 registration: the metadata answered back with the new client_id. */
  async function register(body: unknown): Promise<Record<string, unknown>> {
    const { metadata, clientName, redirectUris } = await acceptMetadata(body);
    const id = generateId(CLIENT_ID_PREFIX);
    await deps.db.mcpClient.deleteMany({ where: { signedInAt: null, createdAt: { lt: new Date(Date.now() - UNUSED_CLIENT_MS) } } });
    const row = await deps.db.mcpClient.create({ data: { id, clientName, redirectUris, metadata: metadata as object } });
    deps.logger.info('mcp client registered', { clientId: id });
    return { client_id: id, client_id_issued_at: Math.floor(row.createdAt.getTime() / 1000), ...metadata };
  }

  /** Fetches and checks a Client ID Metadata Document: JSON, small, and naming itself as client_id. */
  async function fromMetadataDocument(clientId: string): Promise<McpClientInfo> {
    const cached = documents.get(clientId);
    if (cached) return cached;
    let url: URL;
    try {
      url = checkOutboundUrl(clientId, deps.metadataPolicy, role);
    } catch (error) {
      throw new ClientMetadataError('invalid_client', error instanceof LatchkeyError ? error.message : 'The client_id URL is refused.');
    }
    if (url.pathname === '/') throw new ClientMetadataError('invalid_client', 'A client_id URL must have a path (the metadata document), not just a host.');
    let response: Response;
    try {
      response = await guardedFetch(url.href, { headers: { accept: 'application/json' } });
    } catch (error) {
      const reason = error instanceof LatchkeyError ? error.message : `The client metadata document at ${url.host} could not be fetched (${error instanceof Error && error.name === 'TimeoutError' ? 'timed out' : 'no answer'}).`;
      throw new ClientMetadataError('invalid_client', reason);
    }
    if (response.status !== 200) throw new ClientMetadataError('invalid_client', `The client metadata document at ${url.host} answered HTTP ${response.status}, not 200.`);
    const text = await response.text();
    if (Buffer.byteLength(text) > MAX_METADATA_DOCUMENT_BYTES) {
      throw new ClientMetadataError('invalid_client', `The client metadata document is larger than ${MAX_METADATA_DOCUMENT_BYTES / 1024} KiB.`);
    }
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch {
      throw new ClientMetadataError('invalid_client', 'The client metadata document is not JSON.');
    }
    if (!document || typeof document !== 'object' || (document as { client_id?: unknown }).client_id !== clientId) {
      throw new ClientMetadataError('invalid_client', 'The client metadata document\'s client_id must equal the URL it is served from.');
    }
    let accepted;
    try {
      accepted = await acceptMetadata(document);
    } catch (error) {
      if (error instanceof ClientMetadataError) throw new ClientMetadataError('invalid_client', `The client metadata document is refused: ${error.description}`);
      throw error;
    }
    const info: McpClientInfo = { clientId, clientName: accepted.clientName, redirectUris: accepted.redirectUris, kind: 'METADATA_DOCUMENT' };
    documents.set(clientId, info);
    return info;
  }

  /** The client a client_id names, or invalid_client saying why not. */
  async function resolve(clientId: string): Promise<McpClientInfo> {
    if (clientId.length > MAX_URI_LENGTH) throw new ClientMetadataError('invalid_client', 'client_id is too long.');
    if (/^https?:\/\//i.test(clientId)) return fromMetadataDocument(clientId);
    const row = clientId.startsWith(`${CLIENT_ID_PREFIX}_`) ? await deps.db.mcpClient.findUnique({ where: { id: clientId } }) : null;
    if (!row) throw new ClientMetadataError('invalid_client', 'Unknown client_id: register the client (dynamic client registration) or use a client metadata document URL.');
    return { clientId: row.id, clientName: row.clientName, redirectUris: row.redirectUris as string[], kind: 'REGISTERED' };
  }

  return { register, resolve };
}

export type McpClients = ReturnType<typeof createMcpClients>;

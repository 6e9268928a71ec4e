// CORS answers only the gateway's own origin and the allowed origins of the site whose token the
// request carries; a request without a (valid) token gets no grant for a foreign origin. A preflight
// carries no token, so it is granted to origins some site allows; the real answer then decides.
import type { CORSOptions } from 'graphql-yoga';
import type { OriginPolicy } from '../sites/origin-policy.js';
import type { Caller } from '../sites/sites.js';

export interface CorsDeps {
  origins: OriginPolicy;
  /** Resolves the request's bearer token; throws or returns null when there is none or it is invalid. */
  authenticate(header: string | null): Promise<Caller | null>;
  /** Paths any origin may call without cookies (OAuth metadata, registration, token endpoints). */
  isPublicPath?: (pathname: string) => boolean;
}

/**
 * The MCP Streamable HTTP transport sends mcp-protocol-version and mcp-session-id (and last-event-id
 * to resume), ends a session with DELETE, and a browser client must read the session id it is given
 * and the WWW-Authenticate challenge that points it at the resource metadata.
 */
const PUBLIC_GRANT = {
  credentials: false,
  methods: ['GET', 'POST', 'DELETE'],
  allowedHeaders: ['authorization', 'content-type', 'mcp-protocol-version', 'mcp-session-id', 'last-event-id'],
  exposedHeaders: ['mcp-session-id', 'www-authenticate'],
  maxAge: 600,
} satisfies CORSOptions;

const GRANT = {
  credentials: false,
  methods: ['GET', 'POST'],
  allowedHeaders: ['authorization', 'content-type'],
  maxAge: 600,
} satisfies CORSOptions;

/** The `cors` option of createYoga: a per-request decision. */
export function corsPolicy(deps: CorsDeps): (request: Request) => Promise<CORSOptions> {
  return async (request) => {
    const origin = request.headers.get('origin');
    if (!origin) return false;
    const grant = { ...GRANT, origin: [origin] };
    if (deps.origins.isGatewayOrigin(origin)) return grant;
    if (deps.isPublicPath?.(new URL(request.url).pathname)) return { ...PUBLIC_GRANT, origin: [origin] };
    if (request.method === 'OPTIONS') return (await deps.origins.allowsForSomeSite(origin)) ? grant : false;
    let caller: Caller | null = null;
    try {
      caller = await deps.authenticate(request.headers.get('authorization'));
    } catch {
      return false;
    }
    if (caller?.kind !== 'site') return false;
    return (await deps.origins.allowsForSite(caller.siteId, origin)) ? grant : false;
  };
}

// Serves the gateway's OAuth authorization server for /mcp: RFC 8414 metadata (gateway-wide, and per
// site at /.well-known/oauth-authorization-server/sites/<site id>), /oauth/mcp/register (RFC 7591),
// /oauth/mcp/authorize, the consent page, /oauth/mcp/token and /oauth/mcp/revoke (RFC 7009). Every route is under /oauth/, so the
// per-address rate limit applies (src/http/use-rate-limits.ts).
//
// Options: `server` (the authorization server), `clients` (registration), `db` (to check a site
// exists for its metadata), `publicUrl`.
import type { Plugin } from 'graphql-yoga';
import type { GraphQLContext } from '../context.js';
import type { Database } from '../db/database.js';
import { parseCookies } from '../http/oauth-callback.js';
import {
  AUTHORIZE_PATH,
  authorizationServerMetadata,
  CONSENT_PATH,
  isSiteId,
  MAX_STATE_LENGTH,
  OAuthProtocolError,
  REGISTER_PATH,
  REVOKE_PATH,
  siteIssuerOf,
  TOKEN_PATH,
  UntrustedRedirectError,
  type AuthorizationServer,
} from './authorization-server.js';
import { ClientMetadataError, type McpClients } from './mcp-clients.js';
import { consentPage, signInErrorPage } from './consent-page.js';
import { MCP_PATH } from './use-mcp.js';

export const AUTHORIZATION_SERVER_METADATA_PATH = '/.well-known/oauth-authorization-server';
const SITE_METADATA_PREFIX = `${AUTHORIZATION_SERVER_METADATA_PATH}/sites/`;
const COOKIE_PATH = '/oauth/mcp';

const PUBLIC_PATHS = new Set([MCP_PATH, TOKEN_PATH, REGISTER_PATH, REVOKE_PATH, AUTHORIZATION_SERVER_METADATA_PATH, '/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp']);

/**
 * Paths that browser-based MCP clients (the MCP Inspector) call cross-origin: /mcp itself and the OAuth
 * endpoints. They use no cookies, only a bearer token the client holds (and /mcp refuses the
 * browser-facing lkc_ tokens), so the gateway's CORS policy (src/http/use-cors.ts) grants them to any
 * origin.
 */
export function isPublicOAuthPath(pathname: string): boolean {
  return PUBLIC_PATHS.has(pathname) || pathname.startsWith(SITE_METADATA_PREFIX);
}

export interface UseMcpAuthorizationOptions {
  server: AuthorizationServer;
  clients: McpClients;
  db: Database;
  publicUrl: string;
}

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', pragma: 'no-cache' },
  });
}

const oauthError = (error: OAuthProtocolError | ClientMetadataError) =>
  json({ error: error.error, error_description: error.description }, error instanceof OAuthProtocolError ? error.status : 400);

const cookieName = (authorizationId: string) => `lk_mcp_${authorizationId}`;

function bindingCookie(publicUrl: string, authorizationId: string, value: string, maxAgeSeconds: number): string {
  const secure = new URL(publicUrl).protocol === 'https:' ? '; Secure' : '';
  return `${cookieName(authorizationId)}=${value}; HttpOnly; SameSite=Lax; Path=${COOKIE_PATH}; Max-Age=${maxAgeSeconds}${secure}`;
}

function redirect(location: string, extra: Record<string, string> = {}): Response {
  return new Response(null, { status: 302, headers: { location, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer', ...extra } });
}

async function formOf(request: Request): Promise<URLSearchParams | null> {
  if (!(request.headers.get('content-type') ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded')) return null;
  return new URLSearchParams(await request.text());
}

export function useMcpAuthorization(options: UseMcpAuthorizationOptions): Plugin<GraphQLContext> {
  const { server, clients, publicUrl } = options;

  async function authorize(url: URL): Promise<Response> {
    let redirectUri: string | null = null;
    let state: string | null = null;
    try {
      const started = await server.authorize(url.searchParams);
      return redirect(started.outcome.loginUrl, {
        'set-cookie': bindingCookie(publicUrl, started.outcome.authorizationId, started.outcome.bindingSecret, started.outcome.maxAgeSeconds),
      });
    } catch (error) {
      if (error instanceof UntrustedRedirectError) return signInErrorPage(error.error, error.description);
      if (!(error instanceof OAuthProtocolError)) throw error;
      // The client and redirect_uri were verified before any redirect-safe error is thrown.
      redirectUri = url.searchParams.get('redirect_uri');
      state = url.searchParams.get('state');
      const target = new URL(redirectUri!);
      target.searchParams.set('error', error.error);
      target.searchParams.set('error_description', error.description);
      // RFC 9207: error responses name the issuer too (the site's, when the request named one).
      const site = url.searchParams.get('site');
      target.searchParams.set('iss', site && isSiteId(site) ? siteIssuerOf(options.publicUrl, site) : options.publicUrl);
      // An over-long state is not echoed: the refusal itself says why.
      if (state !== null && state.length <= MAX_STATE_LENGTH) target.searchParams.set('state', state);
      return redirect(target.href);
    }
  }

  async function consent(request: Request, url: URL): Promise<Response> {
    const cookies = parseCookies(request.headers.get('cookie'));
    try {
      if (request.method === 'GET') {
        const requestId = url.searchParams.get('request');
        return consentPage(await server.openConsent(requestId, url.searchParams.get('assertion'), cookies[cookieName(requestId ?? '')] ?? null));
      }
      const form = await formOf(request);
      if (!form) return signInErrorPage('invalid_request', 'Answer the consent page with its form.');
      const requestId = form.get('request');
      const decision = form.get('decision');
      if (decision !== 'approve' && decision !== 'deny') return signInErrorPage('invalid_request', 'Choose Allow or Deny on the consent page.');
      const target = await server.decide(requestId, form.get('consent'), cookies[cookieName(requestId ?? '')] ?? null, decision === 'approve', form.getAll('scope').includes('mcp:write'));
      // 303: the browser follows with a GET. The binding cookie has done its work.
      return new Response(null, {
        status: 303,
        headers: {
          location: target.href,
          'cache-control': 'no-store',
          'referrer-policy': 'no-referrer',
          'set-cookie': `${cookieName(requestId!)}=; HttpOnly; SameSite=Lax; Path=${COOKIE_PATH}; Max-Age=0`,
        },
      });
    } catch (error) {
      if (error instanceof OAuthProtocolError) return signInErrorPage(error.error, error.description);
      throw error;
    }
  }

  async function token(request: Request): Promise<Response> {
    const form = await formOf(request);
    if (!form) return json({ error: 'invalid_request', error_description: 'Send the token request as application/x-www-form-urlencoded.' }, 400);
    try {
      return json(await server.token(form));
    } catch (error) {
      if (error instanceof OAuthProtocolError) return oauthError(error);
      throw error;
    }
  }

  async function revoke(request: Request): Promise<Response> {
    const form = await formOf(request);
    if (!form) return json({ error: 'invalid_request', error_description: 'Send the revocation request as application/x-www-form-urlencoded.' }, 400);
    try {
      await server.revoke(form);
      return new Response(null, { status: 200, headers: { 'cache-control': 'no-store' } });
    } catch (error) {
      if (error instanceof OAuthProtocolError) return oauthError(error);
      throw error;
    }
  }

  async function register(request: Request): Promise<Response> {
    if (!(request.headers.get('content-type') ?? '').toLowerCase().startsWith('application/json')) {
      return json({ error: 'invalid_client_metadata', error_description: 'Send the client metadata as application/json (RFC 7591).' }, 400);
    }
    let body: unknown;
    try {
      body = await request.json();
    } catch {
      return json({ error: 'invalid_client_metadata', error_description: 'The body is not JSON.' }, 400);
    }
    try {
      return json(await clients.register(body), 201);
    } catch (error) {
      if (error instanceof ClientMetadataError) return oauthError(error);
      throw error;
    }
  }

  async function siteMetadata(siteId: string): Promise<Response> {
    const exists = isSiteId(siteId) && (await options.db.site.findUnique({ where: { id: siteId }, select: { id: true } }));
    if (!exists) return json({ error: 'not_found', error_description: 'No such site: check the site id in the MCP server URL.' }, 404);
    return json(authorizationServerMetadata(publicUrl, siteId));
  }

  const methodNotAllowed = (allow: string) => new Response('Method Not Allowed', { status: 405, headers: { allow } });

  return {
    async onRequest({ request, url, endResponse }) {
      const path = url.pathname;
      const isMetadata = path === AUTHORIZATION_SERVER_METADATA_PATH || path.startsWith(SITE_METADATA_PREFIX);
      if (!isMetadata && !path.startsWith(`${COOKIE_PATH}/`)) return;
      if (isMetadata) {
        if (request.method !== 'GET') return endResponse(methodNotAllowed('GET'));
        if (path === AUTHORIZATION_SERVER_METADATA_PATH) return endResponse(json(authorizationServerMetadata(publicUrl, null)));
        return endResponse(await siteMetadata(path.slice(SITE_METADATA_PREFIX.length)));
      }
      switch (path) {
        case AUTHORIZE_PATH:
          if (request.method !== 'GET') return endResponse(methodNotAllowed('GET'));
          return endResponse(await authorize(url));
        case CONSENT_PATH:
          if (request.method !== 'GET' && request.method !== 'POST') return endResponse(methodNotAllowed('GET, POST'));
          return endResponse(await consent(request, url));
        case TOKEN_PATH:
          if (request.method !== 'POST') return endResponse(methodNotAllowed('POST'));
          return endResponse(await token(request));
        case REVOKE_PATH:
          if (request.method !== 'POST') return endResponse(methodNotAllowed('POST'));
          return endResponse(await revoke(request));
        case REGISTER_PATH:
          if (request.method !== 'POST') return endResponse(methodNotAllowed('POST'));
          return endResponse(await register(request));
        default:
          return endResponse(json({ error: 'not_found', error_description: `No route ${path.slice(0, 100)}.` }, 404));
      }
    },
  };
}

// The gateway as the OAuth 2.1 authorization server of /mcp, so MCP clients sign in without a
// pre-shared token. A sign-in: /authorize (client, exact redirect_uri, PKCE S256, resource = /mcp)
// sends the browser to the site's mcpLoginUrl; the site's backend, which knows who is logged in,
// vouches for the end user with its site token (a one-time assertion); the person consents on the
// gateway's page; the client gets a one-time code, then short-lived access tokens audience-bound to
// /mcp and refresh tokens that rotate on every use. The resulting token acts as that end user only.
//
// Only SHA-256 hashes of codes, assertions and tokens are stored, and none of them is ever logged.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Database } from '../db/database.js';
import type { Logger } from '../logger.js';
import type { AuditTrail } from '../audit.js';
import { generateId, generateOpaqueToken, hashOpaqueToken } from '../crypto/opaque-token.js';
import { authStateInvalid, badUserInput, notFound } from '../errors.js';
import { validEndUser } from '../connections/owners.js';
import { ClientMetadataError, type McpClientInfo, type McpClients } from './mcp-clients.js';

export const MCP_SCOPES = { 'mcp:read': 'Read the services you connected, through this site', 'mcp:write': 'Change data in those services (post, star, delete, …)' } as const;
export type McpScope = keyof typeof MCP_SCOPES;
export const DEFAULT_MCP_SCOPES: McpScope[] = ['mcp:read'];

export const MCP_ACCESS_TOKEN_PREFIX = 'lkm_';
export const MCP_REFRESH_TOKEN_PREFIX = 'lkmr_';
/** How long after its first use a refresh token may be presented again by a client refreshing twice at once. */
const REFRESH_REUSE_GRACE_MS = 10_000;
const CODE_PREFIX = 'lkmc_';
const ASSERTION_PREFIX = 'lkma_';
/** How long a person has to sign in at the site and consent. */
const SIGN_IN_TTL_MS = 10 * 60 * 1000;
/** An authorization code is exchanged at once by its client. */
const CODE_TTL_MS = 60 * 1000;
/** Rows this long past their end are deleted when new ones are made. */
const RETENTION_MS = 7 * 24 * 3600 * 1000;

export const AUTHORIZE_PATH = '/oauth/mcp/authorize';
export const TOKEN_PATH = '/oauth/mcp/token';
export const REGISTER_PATH = '/oauth/mcp/register';
export const CONSENT_PATH = '/oauth/mcp/consent';
export const REVOKE_PATH = '/oauth/mcp/revoke';
/** The query parameter of the site's login URL that names the sign-in. */
export const LOGIN_REQUEST_PARAMETER = 'latchkey_mcp_request';

export const MAX_STATE_LENGTH = 1024;
const SITE_ID = /^site_[A-Za-z0-9_-]{1,64}$/;
const REQUEST_ID = /^mcpa_[A-Za-z0-9_-]{1,64}$/;
const PKCE_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
const PKCE_VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

/** An OAuth error (RFC 6749 §4.1.2.1, §5.2): its `error` code, and a description that says what to do. */
export class OAuthProtocolError extends Error {
  constructor(
    readonly error: string,
    readonly description: string,
    readonly status = 400,
  ) {
    super(description);
  }
}

/** An /authorize problem found before the redirect URI is trusted: shown on a page, never redirected. */
export class UntrustedRedirectError extends OAuthProtocolError {}

export interface AuthorizationServerConfig {
  publicUrl: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
}

export interface AuthorizationServerDeps {
  db: Database;
  logger: Logger;
  /** Sign-ins, denials and revocations are audit events (`latchkey audit`, the site's trail). */
  audit: AuditTrail;
  clients: McpClients;
  config: AuthorizationServerConfig;
}

/** Who an MCP access token acts for. */
export interface McpTokenGrant {
  tokenId: string;
  siteId: string;
  endUser: string;
  scopes: McpScope[];
}

export const isSiteId = (value: string) => SITE_ID.test(value);
export const mcpResourceOf = (publicUrl: string) => `${publicUrl}/mcp`;
/** The per-site issuer: a client that was given `<public url>/mcp?site=<id>` signs in through that site. */
export const siteIssuerOf = (publicUrl: string, siteId: string) => `${publicUrl}/sites/${siteId}`;

const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest();
const hashMatches = (value: string, storedHex: string | null) =>
  storedHex !== null && storedHex.length === 64 && timingSafeEqual(Buffer.from(hashOpaqueToken(value), 'hex'), Buffer.from(storedHex, 'hex'));

/** Parses a space-separated scope; unknown scopes are invalid_scope. */
export function parseScopes(value: string | null | undefined, fallback: readonly McpScope[] = DEFAULT_MCP_SCOPES): McpScope[] {
  if (value === null || value === undefined || value.trim() === '') return [...fallback];
  const scopes = [...new Set(value.trim().split(/\s+/))];
  const unknown = scopes.filter((scope) => !(scope in MCP_SCOPES));
  if (unknown.length > 0) {
    throw new OAuthProtocolError('invalid_scope', `Unknown scope ${JSON.stringify(unknown[0]!.slice(0, 50))}: ask for ${Object.keys(MCP_SCOPES).join(' and/or ')}.`);
  }
  return scopes as McpScope[];
}

/** RFC 8414 metadata: the gateway-wide issuer (authorize needs `site`) or a site's issuer (the site is in its authorization endpoint). */
export function authorizationServerMetadata(publicUrl: string, siteId: string | null): Record<string, unknown> {
  const authorize = new URL(`${publicUrl}${AUTHORIZE_PATH}`);
  if (siteId) authorize.searchParams.set('site', siteId);
  return {
    issuer: siteId ? siteIssuerOf(publicUrl, siteId) : publicUrl,
    // RFC 9207: only a site's issuer completes sign-ins (the gateway-wide one cannot name a site),
    // so only its metadata promises the iss the authorization response carries.
    ...(siteId ? { authorization_response_iss_parameter_supported: true } : {}),
    authorization_endpoint: authorize.href,
    token_endpoint: `${publicUrl}${TOKEN_PATH}`,
    registration_endpoint: `${publicUrl}${REGISTER_PATH}`,
    revocation_endpoint: `${publicUrl}${REVOKE_PATH}`,
    revocation_endpoint_auth_methods_supported: ['none'],
    scopes_supported: Object.keys(MCP_SCOPES),
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code', 'refresh_token'],
    token_endpoint_auth_methods_supported: ['none'],
    code_challenge_methods_supported: ['S256'],
    client_id_metadata_document_supported: true,
    service_documentation: `${publicUrl}/graphql`,
  };
}

export interface AuthorizeOutcome {
  authorizationId: string;
  /** The cookie value binding the sign-in to this browser. */
  bindingSecret: string;
  maxAgeSeconds: number;
  /** The site's login page, with the request id. */
  loginUrl: string;
}

export interface ConsentView {
  authorizationId: string;
  siteName: string;
  endUser: string;
  client: { name: string | null; id: string; redirectHost: string; redirectOrigin: string };
  scopes: McpScope[];
  /** The consent form's anti-forgery value. */
  consentSecret: string;
  /** How long a sign-in may go unused before it ends (the refresh token's lifetime), in words. */
  idleLimit: string;
}

function inWords(seconds: number): string {
  if (seconds >= 86_400) return `${Math.round(seconds / 86_400)} day${seconds >= 1.5 * 86_400 ? 's' : ''}`;
  if (seconds >= 3600) return `${Math.round(seconds / 3600)} hour${seconds >= 1.5 * 3600 ? 's' : ''}`;
  return `${Math.round(seconds / 60)} minutes`;
}

export function createAuthorizationServer(deps: AuthorizationServerDeps) {
  const { db, config } = deps;
  const resource = mcpResourceOf(config.publicUrl);

  /** Validates an authorization request; a redirect-safe problem is an OAuthProtocolError, anything before that an UntrustedRedirectError. */
  async function authorize(params: URLSearchParams): Promise<{ outcome: AuthorizeOutcome; redirectUri: string; state: string | null }> {
    for (const name of ['client_id', 'redirect_uri', 'response_type', 'state', 'code_challenge', 'code_challenge_method', 'scope', 'resource', 'site']) {
      if (params.getAll(name).length > 1) throw new UntrustedRedirectError('invalid_request', `The parameter ${name} is repeated: send it once.`);
    }
    const clientId = params.get('client_id');
    if (!clientId) throw new UntrustedRedirectError('invalid_request', 'client_id is missing: the MCP client must send it.');
    let client: McpClientInfo;
    try {
      client = await deps.clients.resolve(clientId);
    } catch (error) {
      if (error instanceof ClientMetadataError) throw new UntrustedRedirectError('invalid_client', error.description);
      throw error;
    }
    const redirectUri = params.get('redirect_uri');
    if (!redirectUri || !client.redirectUris.includes(redirectUri)) {
      throw new UntrustedRedirectError('invalid_request', 'redirect_uri must be given and equal, exactly, one of the redirect URIs the client registered.');
    }
    const state = params.get('state');
    if (state !== null && state.length > MAX_STATE_LENGTH) throw new OAuthProtocolError('invalid_request', `state must be at most ${MAX_STATE_LENGTH} characters.`);
    if (params.get('response_type') !== 'code') throw new OAuthProtocolError('unsupported_response_type', 'response_type must be "code" (authorization code with PKCE).');
    const challenge = params.get('code_challenge');
    if (!challenge || params.get('code_challenge_method') !== 'S256') {
      throw new OAuthProtocolError('invalid_request', 'PKCE is required with code_challenge_method=S256 (plain is refused).');
    }
    if (!PKCE_CHALLENGE.test(challenge)) throw new OAuthProtocolError('invalid_request', 'code_challenge must be the base64url SHA-256 of the code verifier (43 characters).');
    const requested = params.get('resource');
    if (requested !== resource) {
      throw new OAuthProtocolError('invalid_target', `resource must be ${resource} (RFC 8707): this authorization server issues tokens for the gateway's MCP server only.`);
    }
    const scopes = parseScopes(params.get('scope'));
    const siteId = params.get('site');
    if (!siteId || !isSiteId(siteId)) {
      throw new OAuthProtocolError('invalid_request', `Name the site to sign in through: use the MCP server URL ${resource}?site=<site id> (or add site=<site id> to this request).`);
    }
    const site = await db.site.findUnique({ where: { id: siteId } });
    if (!site) throw new OAuthProtocolError('invalid_request', 'No such site: check the site id in the MCP server URL.');
    if (!site.mcpLoginUrl) {
      throw new OAuthProtocolError('access_denied', 'This site has not turned on MCP sign-in: its owner sets mcpLoginUrl with updateSite.');
    }

    const now = Date.now();
    await db.mcpAuthorization.deleteMany({ where: { expiresAt: { lt: new Date(now - RETENTION_MS) } } });
    const authorizationId = generateId('mcpa');
    const bindingSecret = generateOpaqueToken('', 32);
    await db.mcpAuthorization.create({
      data: {
        id: authorizationId,
        siteId,
        clientId: client.clientId,
        clientName: client.clientName,
        redirectUri,
        state,
        codeChallenge: challenge,
        scopes,
        resource,
        bindingHash: hashOpaqueToken(bindingSecret),
        expiresAt: new Date(now + SIGN_IN_TTL_MS),
      },
    });
    const loginUrl = new URL(site.mcpLoginUrl);
    loginUrl.searchParams.set(LOGIN_REQUEST_PARAMETER, authorizationId);
    deps.logger.info('mcp sign-in started', { authorizationId, siteId, clientId: client.clientId.slice(0, 200) });
    return { outcome: { authorizationId, bindingSecret, maxAgeSeconds: SIGN_IN_TTL_MS / 1000, loginUrl: loginUrl.href }, redirectUri, state };
  }

  /** The site vouches for who is signed in: a one-time URL that takes the browser to the consent page. */
  async function createLoginAssertion(siteId: string, requestId: string, endUser: string): Promise<{ redirectUrl: string; expiresAt: Date }> {
    const name = validEndUser(endUser);
    if (!REQUEST_ID.test(requestId)) throw badUserInput(`requestId must be the ${LOGIN_REQUEST_PARAMETER} value the gateway added to your mcpLoginUrl.`, 'requestId');
    const row = await db.mcpAuthorization.findUnique({ where: { id: requestId } });
    if (!row || row.siteId !== siteId) throw notFound('No MCP sign-in with this requestId belongs to this site: pass the latchkey_mcp_request value your login page received.');
    if (row.expiresAt.getTime() <= Date.now()) throw authStateInvalid('This MCP sign-in has expired: the person starts again from the MCP client.');
    const assertion = generateOpaqueToken(ASSERTION_PREFIX);
    const claimed = await db.mcpAuthorization.updateMany({
      where: { id: row.id, status: 'LOGIN', assertionHash: null },
      data: { endUser: name, assertionHash: hashOpaqueToken(assertion) },
    });
    if (claimed.count !== 1) throw authStateInvalid('This MCP sign-in already has an assertion: the person starts again from the MCP client.');
    const url = new URL(`${config.publicUrl}${CONSENT_PATH}`);
    url.searchParams.set('request', row.id);
    url.searchParams.set('assertion', assertion);
    return { redirectUrl: url.href, expiresAt: row.expiresAt };
  }

  async function boundRow(requestId: string | null, binding: string | null) {
    if (!requestId || !REQUEST_ID.test(requestId)) throw new UntrustedRedirectError('invalid_request', 'This sign-in link is malformed: start again from the MCP client.');
    const row = await db.mcpAuthorization.findUnique({ where: { id: requestId }, include: { site: { select: { name: true } } } });
    if (!row) throw new UntrustedRedirectError('invalid_request', 'This sign-in is unknown or over: start again from the MCP client.');
    if (!binding || !hashMatches(binding, row.bindingHash)) {
      throw new UntrustedRedirectError('access_denied', 'This sign-in was started in another browser: start again from the MCP client, in this browser.');
    }
    if (row.expiresAt.getTime() <= Date.now()) throw new UntrustedRedirectError('invalid_request', 'This sign-in has expired: start again from the MCP client.');
    return row;
  }

  /** The browser arrives from the site with the assertion: consumed once, it opens the consent page. */
  async function openConsent(requestId: string | null, assertion: string | null, binding: string | null): Promise<ConsentView> {
    const row = await boundRow(requestId, binding);
    if (!assertion || !hashMatches(assertion, row.assertionHash) || row.status !== 'LOGIN' || !row.endUser) {
      throw new UntrustedRedirectError('access_denied', 'This sign-in link was already used or is not valid: start again from the MCP client.');
    }
    const consentSecret = generateOpaqueToken('', 32);
    const opened = await db.mcpAuthorization.updateMany({
      where: { id: row.id, status: 'LOGIN', assertionHash: row.assertionHash },
      data: { status: 'CONSENT', consentHash: hashOpaqueToken(consentSecret) },
    });
    if (opened.count !== 1) throw new UntrustedRedirectError('access_denied', 'This sign-in link was already used: start again from the MCP client.');
    const redirect = new URL(row.redirectUri);
    return {
      authorizationId: row.id,
      siteName: row.site.name,
      endUser: row.endUser,
      client: { name: row.clientName, id: row.clientId, redirectHost: redirect.host, redirectOrigin: redirect.origin },
      scopes: row.scopes as McpScope[],
      consentSecret,
      idleLimit: inWords(config.refreshTokenTtlSeconds),
    };
  }

  /** The person's answer on the consent page: the redirect back to the client, with a code or access_denied. */
  /**
   * `grantWrite`: whether the person left mcp:write checked. Unchecking narrows the grant (the token
   * response's scope says so, RFC 6749 §3.3); reading comes with every sign-in.
   */
  async function decide(requestId: string | null, consentSecret: string | null, binding: string | null, approve: boolean, grantWrite = true): Promise<URL> {
    const row = await boundRow(requestId, binding);
    if (row.status !== 'CONSENT' || !consentSecret || !hashMatches(consentSecret, row.consentHash)) {
      throw new UntrustedRedirectError('access_denied', 'This consent form is not valid any more: start again from the MCP client.');
    }
    const target = new URL(row.redirectUri);
    if (row.state !== null) target.searchParams.set('state', row.state);
    // RFC 9207: tells the client which authorization server answered (a mix-up defence).
    target.searchParams.set('iss', siteIssuerOf(config.publicUrl, row.siteId));
    const signIn = { siteId: row.siteId, detail: { authorizationId: row.id, clientId: row.clientId.slice(0, 200), endUser: row.endUser } };
    if (!approve) {
      await db.mcpAuthorization.updateMany({ where: { id: row.id, status: 'CONSENT' }, data: { status: 'DENIED' } });
      await deps.audit({ type: 'mcp.sign_in_denied', ...signIn });
      target.searchParams.set('error', 'access_denied');
      target.searchParams.set('error_description', 'The person declined the sign-in.');
      return target;
    }
    const code = generateOpaqueToken(CODE_PREFIX);
    const requested = row.scopes as McpScope[];
    const granted = requested.filter((scope) => scope !== 'mcp:write' || grantWrite);
    const approved = await db.mcpAuthorization.updateMany({
      where: { id: row.id, status: 'CONSENT' },
      data: { status: 'APPROVED', scopes: granted.length > 0 ? granted : ['mcp:read'], codeHash: hashOpaqueToken(code), expiresAt: new Date(Date.now() + CODE_TTL_MS) },
    });
    if (approved.count !== 1) throw new UntrustedRedirectError('access_denied', 'This sign-in was already answered: start again from the MCP client.');
    await deps.audit({ type: 'mcp.sign_in_approved', ...signIn, detail: { ...signIn.detail, scopes: granted.length > 0 ? granted : ['mcp:read'] } });
    target.searchParams.set('code', code);
    return target;
  }

  async function revokeFamily(family: { authorizationId: string; siteId: string }, why: string): Promise<void> {
    const revoked = await db.mcpToken.updateMany({ where: { authorizationId: family.authorizationId, revokedAt: null }, data: { revokedAt: new Date() } });
    await deps.audit({ type: 'mcp.sign_in_revoked', siteId: family.siteId, detail: { authorizationId: family.authorizationId, reason: why, tokens: revoked.count } });
  }

  async function issueTokens(grant: { authorizationId: string; siteId: string; clientId: string; endUser: string; scopes: McpScope[] }) {
    const now = Date.now();
    const accessToken = generateOpaqueToken(MCP_ACCESS_TOKEN_PREFIX);
    const refreshToken = generateOpaqueToken(MCP_REFRESH_TOKEN_PREFIX);
    const common = { siteId: grant.siteId, authorizationId: grant.authorizationId, clientId: grant.clientId, endUser: grant.endUser, scopes: grant.scopes, resource };
    await db.mcpToken.deleteMany({ where: { siteId: grant.siteId, expiresAt: { lt: new Date(now - RETENTION_MS) } } });
    await db.mcpToken.createMany({
      data: [
        { ...common, id: generateId('mcpt'), kind: 'ACCESS', tokenHash: hashOpaqueToken(accessToken), expiresAt: new Date(now + config.accessTokenTtlSeconds * 1000) },
        { ...common, id: generateId('mcpt'), kind: 'REFRESH', tokenHash: hashOpaqueToken(refreshToken), expiresAt: new Date(now + config.refreshTokenTtlSeconds * 1000) },
      ],
    });
    return {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: config.accessTokenTtlSeconds,
      refresh_token: refreshToken,
      scope: grant.scopes.join(' '),
    };
  }

  function checkResource(params: URLSearchParams, granted: string): void {
    const requested = params.get('resource');
    if (requested !== null && requested !== granted) {
      throw new OAuthProtocolError('invalid_target', `resource must be ${granted}, the resource this grant is for.`);
    }
  }

  async function exchangeCode(params: URLSearchParams) {
    const code = params.get('code');
    const verifier = params.get('code_verifier');
    const clientId = params.get('client_id');
    if (!code || !clientId) throw new OAuthProtocolError('invalid_request', 'code and client_id are required.');
    if (!verifier || !PKCE_VERIFIER.test(verifier)) throw new OAuthProtocolError('invalid_request', 'code_verifier is required: 43 to 128 characters (RFC 7636).');
    const row = code.startsWith(CODE_PREFIX) && code.length < 200 ? await db.mcpAuthorization.findUnique({ where: { codeHash: hashOpaqueToken(code) } }) : null;
    if (!row) throw new OAuthProtocolError('invalid_grant', 'The authorization code is not valid: sign in again.');
    if (row.codeUsedAt) {
      await revokeFamily({ authorizationId: row.id, siteId: row.siteId }, 'authorization code replayed');
      throw new OAuthProtocolError('invalid_grant', 'The authorization code was already used: every token issued from it is revoked. Sign in again.');
    }
    if (row.clientId !== clientId) throw new OAuthProtocolError('invalid_grant', 'The authorization code was issued to another client.');
    if (params.get('redirect_uri') !== row.redirectUri) throw new OAuthProtocolError('invalid_grant', 'redirect_uri must equal the one of the authorization request.');
    if (row.expiresAt.getTime() <= Date.now()) throw new OAuthProtocolError('invalid_grant', 'The authorization code has expired: sign in again.');
    const computed = createHash('sha256').update(verifier, 'ascii').digest('base64url');
    if (!timingSafeEqual(sha256(computed), sha256(row.codeChallenge))) throw new OAuthProtocolError('invalid_grant', 'code_verifier does not match the code_challenge (PKCE).');
    checkResource(params, row.resource);
    const claimed = await db.mcpAuthorization.updateMany({ where: { id: row.id, codeUsedAt: null }, data: { codeUsedAt: new Date() } });
    if (claimed.count !== 1) {
      await revokeFamily({ authorizationId: row.id, siteId: row.siteId }, 'authorization code replayed');
      throw new OAuthProtocolError('invalid_grant', 'The authorization code was already used: every token issued from it is revoked. Sign in again.');
    }
    // A registered client that signs in is kept (unused registrations are pruned).
    await db.mcpClient.updateMany({ where: { id: row.clientId, signedInAt: null }, data: { signedInAt: new Date() } });
    return issueTokens({ authorizationId: row.id, siteId: row.siteId, clientId: row.clientId, endUser: row.endUser!, scopes: row.scopes as McpScope[] });
  }

  /**
   * A client that refreshes twice at once (the MCP SDK can, when two requests meet the same 401)
   * presents the same refresh token twice within moments. As Okta's grace period and Auth0's reuse
   * interval do, that second use is served while the successor has not been used yet and the first
   * use was under REFRESH_REUSE_GRACE_MS ago; any later reuse revokes the whole sign-in.
   */
  async function isConcurrentReuse(row: { authorizationId: string; usedAt: Date | null; revokedAt: Date | null } | null): Promise<boolean> {
    if (!row?.usedAt || row.revokedAt) return false;
    if (Date.now() - row.usedAt.getTime() > REFRESH_REUSE_GRACE_MS) return false;
    const movedOn = await db.mcpToken.count({ where: { authorizationId: row.authorizationId, kind: 'REFRESH', usedAt: { gt: row.usedAt } } });
    return movedOn === 0;
  }

  async function refresh(params: URLSearchParams) {
    const token = params.get('refresh_token');
    const clientId = params.get('client_id');
    if (!token || !clientId) throw new OAuthProtocolError('invalid_request', 'refresh_token and client_id are required.');
    const row = token.startsWith(MCP_REFRESH_TOKEN_PREFIX) && token.length < 200 ? await db.mcpToken.findUnique({ where: { tokenHash: hashOpaqueToken(token) } }) : null;
    if (!row || row.kind !== 'REFRESH' || row.clientId !== clientId) throw new OAuthProtocolError('invalid_grant', 'The refresh token is not valid: sign in again.');
    if (row.revokedAt) throw new OAuthProtocolError('invalid_grant', 'The refresh token was revoked: sign in again.');
    if (row.usedAt && !(await isConcurrentReuse(row))) {
      // A rotated refresh token presented again: someone holds a copy. Stop the whole family.
      await revokeFamily(row, 'refresh token reused');
      throw new OAuthProtocolError('invalid_grant', 'The refresh token was already used: every token of this sign-in is revoked. Sign in again.');
    }
    if (row.expiresAt.getTime() <= Date.now()) throw new OAuthProtocolError('invalid_grant', 'The refresh token has expired: sign in again.');
    checkResource(params, row.resource);
    const granted = row.scopes as McpScope[];
    const scopes = parseScopes(params.get('scope'), granted);
    if (scopes.some((scope) => !granted.includes(scope))) throw new OAuthProtocolError('invalid_scope', `A refresh may only keep or narrow the granted scopes (${granted.join(' ')}).`);
    const claimed = row.usedAt ? { count: 1 } : await db.mcpToken.updateMany({ where: { id: row.id, usedAt: null, revokedAt: null }, data: { usedAt: new Date() } });
    if (claimed.count !== 1 && !(await isConcurrentReuse(await db.mcpToken.findUnique({ where: { id: row.id } })))) {
      await revokeFamily(row, 'refresh token reused');
      throw new OAuthProtocolError('invalid_grant', 'The refresh token was already used: every token of this sign-in is revoked. Sign in again.');
    }
    return issueTokens({ authorizationId: row.authorizationId, siteId: row.siteId, clientId: row.clientId, endUser: row.endUser, scopes });
  }

  /** The token endpoint (RFC 6749 §3.2): authorization_code (PKCE) and refresh_token grants. */
  async function token(params: URLSearchParams) {
    for (const [name] of params) {
      if (params.getAll(name).length > 1) throw new OAuthProtocolError('invalid_request', `The parameter ${name.slice(0, 50)} is repeated: send it once.`);
    }
    switch (params.get('grant_type')) {
      case 'authorization_code':
        return exchangeCode(params);
      case 'refresh_token':
        return refresh(params);
      default:
        throw new OAuthProtocolError('unsupported_grant_type', 'grant_type must be authorization_code or refresh_token.');
    }
  }

  /**
   * RFC 7009: the client gives up a token; every token of its sign-in stops working. An unknown
   * token, or one of another client, changes nothing and answers the same (nothing to probe).
   */
  async function revoke(params: URLSearchParams): Promise<void> {
    const token = params.get('token');
    const clientId = params.get('client_id');
    if (!token || !clientId) throw new OAuthProtocolError('invalid_request', 'token and client_id are required.');
    if (token.length > 200 || (!token.startsWith(MCP_ACCESS_TOKEN_PREFIX) && !token.startsWith(MCP_REFRESH_TOKEN_PREFIX))) return;
    const row = await db.mcpToken.findUnique({ where: { tokenHash: hashOpaqueToken(token) } });
    if (!row || row.clientId !== clientId) return;
    await revokeFamily(row, 'revoked by the client');
  }

  /** The site ends every MCP sign-in of one end user (they logged out, left, or lost a device). */
  async function revokeEndUser(siteId: string, endUser: string): Promise<number> {
    const name = validEndUser(endUser);
    const families = await db.mcpToken.findMany({ where: { siteId, endUser: name, revokedAt: null }, select: { authorizationId: true }, distinct: ['authorizationId'] });
    await db.mcpToken.updateMany({ where: { siteId, endUser: name, revokedAt: null }, data: { revokedAt: new Date() } });
    await deps.audit({ type: 'mcp.sign_in_revoked', siteId, detail: { reason: 'revoked by the site', endUser: name, signIns: families.length } });
    return families.length;
  }

  /** An access token presented at /mcp: what it may do, or a reason it may not. */
  async function authenticate(accessToken: string): Promise<McpTokenGrant | { problem: string }> {
    if (!accessToken.startsWith(MCP_ACCESS_TOKEN_PREFIX) || accessToken.length > 200) return { problem: 'The access token is not valid.' };
    const row = await db.mcpToken.findUnique({ where: { tokenHash: hashOpaqueToken(accessToken) } });
    if (!row || row.kind !== 'ACCESS') return { problem: 'The access token is not valid.' };
    if (row.revokedAt) return { problem: 'The access token was revoked: sign in again.' };
    if (row.expiresAt.getTime() <= Date.now()) return { problem: 'The access token has expired: refresh it.' };
    if (row.resource !== resource) return { problem: `The access token is not for ${resource}.` };
    return { tokenId: row.id, siteId: row.siteId, endUser: row.endUser, scopes: row.scopes as McpScope[] };
  }

  return { authorize, createLoginAssertion, openConsent, decide, token, revoke, revokeEndUser, authenticate, resource };
}

export type AuthorizationServer = ReturnType<typeof createAuthorizationServer>;

// Sites and the bearer tokens that act for them: long-lived site tokens (`lks_…`, full access) and
// short-lived function tokens (`lkf_…`, read-only, limited to chosen services). Only a SHA-256 of a
// token is stored; the token itself is shown once, when it is made.
import { createHash, timingSafeEqual } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Database } from '../db/database.js';
import type { AuditTrail } from '../audit.js';
import type { Logger } from '../logger.js';
import { displayPrefix, generateId, generateOpaqueToken, hashOpaqueToken, SITE_TOKEN_PREFIX } from '../crypto/opaque-token.js';
import { badUserInput, notFound, unauthenticated } from '../errors.js';
import type { ServiceKey, ServiceName } from '../providers/types.js';
import { customServiceKey, slugProblem } from '../providers/custom.js';
import { splitServiceKeys } from '../registry/service-keys.js';
import { validEndUser } from '../connections/owners.js';

/** Checks a page of the site the gateway sends browsers to: an absolute http(s) URL on one of its allowed origins. */
export function checkSitePageUrl(value: string, allowedOrigins: readonly string[], field: string, example: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw badUserInput(`${field} must be an absolute URL, e.g. ${example}.`, field);
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password || url.hash) {
    throw badUserInput(`${field} must be an http(s) URL without credentials or fragment.`, field);
  }
  if (!allowedOrigins.includes(url.origin)) {
    throw badUserInput(
      `${field} must be on one of this site's allowed origins (${allowedOrigins.join(', ') || 'none configured'}); ${url.origin} is not. Add it with updateSite(input: { allowedOrigins }).`,
      field,
    );
  }
  return url.href;
}

/** Checks an endUserVerifyUrl: an absolute http(s) URL on one of the site's allowed origins. */
export function checkVerifyUrl(value: string, allowedOrigins: readonly string[]): string {
  return checkSitePageUrl(value, allowedOrigins, 'endUserVerifyUrl', 'https://app.example.com/latchkey/verify');
}

export const FUNCTION_TOKEN_PREFIX = 'lkf_';
/** Access tokens of the MCP authorization server (src/mcp/authorization-server.ts): valid only at /mcp. */
const MCP_ACCESS_TOKEN_PREFIX = 'lkm_';
/** A function token minted with canConnect: it may also start auth and sign out for its services (browser helper). */
export const CONNECT_FUNCTION_TOKEN_PREFIX = 'lkc_';
export const DEFAULT_FUNCTION_TOKEN_TTL_SECONDS = 900;
export const MAX_FUNCTION_TOKEN_TTL_SECONDS = 86_400;
/** Expired or revoked function tokens are deleted this long after they stopped working. */
const FUNCTION_TOKEN_RETENTION_MS = 7 * 24 * 3600 * 1000;
/** lastUsedAt is written at most this often per token. */
const LAST_USED_WRITE_INTERVAL_MS = 60_000;
const MAX_LISTED_TOKENS = 500;
const MAX_CACHED_TOKENS = 10_000;

export type TokenKind = 'SITE' | 'FUNCTION';

export type SiteCaller = {
  kind: 'site';
  siteId: string;
  tokenId: string;
  tokenKind: TokenKind;
  services: ServiceKey[] | null;
  canConnect?: boolean;
  /** The end user a function token or connect session is bound to: it addresses that end user only. */
  endUser?: string | null;
};
export type Caller = { kind: 'admin' } | SiteCaller;

export type AccessTokenRow = Awaited<ReturnType<Database['siteToken']['findUniqueOrThrow']>>;

export interface FunctionTokenInput {
  services?: readonly ServiceName[] | null | undefined;
  /** Slugs of the site's custom services it may read. */
  customServices?: readonly string[] | null | undefined;
  ttlSeconds?: number | null | undefined;
  label?: string | null | undefined;
  canConnect?: boolean | null | undefined;
  /** Bind it to one end user: it addresses that end user only. */
  endUser?: string | null | undefined;
}

export interface UpdateSiteInput {
  name?: string | null | undefined;
  allowedOrigins?: readonly string[] | null | undefined;
  /** Where end-user verification sends the browser; null removes it, undefined keeps it. */
  endUserVerifyUrl?: string | null | undefined;
  /** Where an MCP client's sign-in sends the browser; null removes it, undefined keeps it. */
  mcpLoginUrl?: string | null | undefined;
}

export interface SitesOptions {
  /** How long a token lookup is reused in this process; 0 disables the cache. */
  tokenCacheMs?: number;
  logger?: Logger;
}

const MAX_ORIGINS = 50;

/** Validates and normalizes an allowed origin: scheme, host and port only. */
export function normalizeOrigin(value: string): string {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw badUserInput(`"${value.slice(0, 100)}" is not an origin: use scheme://host[:port], e.g. https://example.com.`, 'allowedOrigins');
  }
  const bare = value.trim().replace(/\/$/, '');
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.origin !== bare) {
    throw badUserInput(
      `"${value.slice(0, 100)}" is not an exact origin: use scheme://host[:port] with no path, query, credentials or wildcard.`,
      'allowedOrigins',
    );
  }
  return url.origin;
}

export function parseBearer(header: string | null): string | null {
  if (!header) return null;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  if (!match) throw unauthenticated('The Authorization header must be "Bearer <token>".');
  return match[1]!;
}

export function canConnectOf(row: AccessTokenRow): boolean {
  return row.kind === 'FUNCTION' && row.canConnect;
}

/** Every service key a function token may read (catalog and custom); null means every service. */
export function serviceKeysOf(row: AccessTokenRow): ServiceKey[] | null {
  return Array.isArray(row.services) ? (row.services as ServiceKey[]) : null;
}

/** The catalog services a function token may read; null means every service. */
export function servicesOf(row: AccessTokenRow): ServiceName[] | null {
  const keys = serviceKeysOf(row);
  return keys ? splitServiceKeys(keys).services : null;
}

/** The custom services (slugs) a function token may read; null means every service. */
export function customServicesOf(row: AccessTokenRow): string[] | null {
  const keys = serviceKeysOf(row);
  return keys ? splitServiceKeys(keys).customServices : null;
}

function normalizeLabel(label: string | null | undefined): string | null {
  const trimmed = label?.trim();
  if (!trimmed) return null;
  if (trimmed.length > 200) throw badUserInput('label must be at most 200 characters.', 'label');
  return trimmed;
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/** What authenticate() keeps of a token row between requests. */
interface TokenLookup {
  caller: SiteCaller;
  expiresAt: number | null;
}

export function createSites(db: Database, audit: AuditTrail, adminToken: string | undefined, options: SitesOptions = {}) {
  const adminDigest = adminToken ? digest(adminToken) : undefined;
  const cacheMs = options.tokenCacheMs ?? 0;

  // Trade-off: a token found here is reused for `cacheMs` without asking the database, so the hot
  // path (`secrets { github { bearerToken } }`) costs no token query. Revoking through this
  // instance evicts at once; another instance keeps accepting a revoked token until its entry
  // expires (at most `cacheMs`). Expiry is checked on every request, so it is always exact.
  const lookups = new LRUCache<string, TokenLookup>({
    max: MAX_CACHED_TOKENS,
    ttl: Math.max(cacheMs, 1),
    fetchMethod: (tokenHash) => lookup(tokenHash),
  });
  const recentlyTouched = new LRUCache<string, true>({ max: MAX_CACHED_TOKENS, ttl: LAST_USED_WRITE_INTERVAL_MS });

  async function lookup(tokenHash: string): Promise<TokenLookup | undefined> {
    const row = await db.siteToken.findUnique({ where: { tokenHash } });
    if (!row || row.revokedAt) return undefined;
    return {
      caller: { kind: 'site', siteId: row.siteId, tokenId: row.id, tokenKind: row.kind === 'FUNCTION' ? 'FUNCTION' : 'SITE', services: serviceKeysOf(row), canConnect: canConnectOf(row), endUser: row.endUser },
      expiresAt: row.expiresAt?.getTime() ?? null,
    };
  }

  /** Records use at most once a minute per token, without making the request wait for it. */
  function touch(tokenId: string): void {
    if (recentlyTouched.has(tokenId)) return;
    recentlyTouched.set(tokenId, true);
    const now = new Date();
    db.siteToken
      .updateMany({
        where: { id: tokenId, OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: new Date(now.getTime() - LAST_USED_WRITE_INTERVAL_MS) } }] },
        data: { lastUsedAt: now },
      })
      .catch((error: unknown) => options.logger?.debug('token lastUsedAt not recorded', { tokenId, reason: error instanceof Error ? error.name : 'unknown' }));
  }

  async function create(name: string, allowedOrigins: readonly string[] = []) {
    const trimmed = name.trim();
    if (!trimmed || trimmed.length > 200) throw badUserInput('name must be 1 to 200 characters.', 'name');
    if (allowedOrigins.length > MAX_ORIGINS) throw badUserInput(`at most ${MAX_ORIGINS} allowed origins.`, 'allowedOrigins');
    const origins = [...new Set(allowedOrigins.map(normalizeOrigin))];
    const siteToken = generateOpaqueToken(SITE_TOKEN_PREFIX);
    const siteId = generateId('site');
    const site = await db.site.create({
      data: {
        id: siteId,
        name: trimmed,
        allowedOrigins: origins,
        tokens: { create: { id: generateId('tok'), kind: 'SITE', tokenHash: hashOpaqueToken(siteToken), prefix: displayPrefix(siteToken), label: 'initial site token' } },
      },
    });
    await audit({ type: 'site.created', siteId });
    return { site, siteToken };
  }

  /** Resolves the caller from an Authorization header; null when there is none. */
  async function authenticate(header: string | null): Promise<Caller | null> {
    const token = parseBearer(header);
    if (token === null) return null;
    if (adminDigest && timingSafeEqual(digest(token), adminDigest)) return { kind: 'admin' };
    if (token.startsWith(MCP_ACCESS_TOKEN_PREFIX)) {
      throw unauthenticated('This is an MCP access token: it is valid only at /mcp (its audience). Use a site or function token here.');
    }
    if ((!token.startsWith(SITE_TOKEN_PREFIX) && !token.startsWith(FUNCTION_TOKEN_PREFIX) && !token.startsWith(CONNECT_FUNCTION_TOKEN_PREFIX)) || token.length > 200) {
      throw unauthenticated('The bearer token is not a valid Latchkey token.');
    }
    const tokenHash = hashOpaqueToken(token);
    const found = cacheMs > 0 ? await lookups.fetch(tokenHash) : await lookup(tokenHash);
    if (!found) throw unauthenticated('The bearer token is not valid (unknown or revoked).');
    if (found.expiresAt !== null && found.expiresAt <= Date.now()) {
      throw unauthenticated(
        token.startsWith(CONNECT_FUNCTION_TOKEN_PREFIX)
          ? 'This browser token (lkc_) has expired: the site issues a new one (createConnectSession, a connect link, or createFunctionToken with canConnect).'
          : found.caller.tokenKind === 'FUNCTION'
            ? 'The function token has expired: mint a new one with createFunctionToken.'
            : 'The bearer token has expired.',
      );
    }
    touch(found.caller.tokenId);
    return found.caller;
  }

  /** Mints a function token: expiring, limited to `services` (default: all), read-only. */
  async function createFunctionToken(siteId: string, input: FunctionTokenInput = {}) {
    const ttlSeconds = input.ttlSeconds ?? DEFAULT_FUNCTION_TOKEN_TTL_SECONDS;
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_FUNCTION_TOKEN_TTL_SECONDS) {
      throw badUserInput(`ttlSeconds must be a whole number from 1 to ${MAX_FUNCTION_TOKEN_TTL_SECONDS} (24 hours).`, 'ttlSeconds');
    }
    let services: ServiceKey[] | null = null;
    if (input.services || input.customServices) {
      for (const slug of input.customServices ?? []) {
        const problem = slugProblem(slug);
        if (problem) throw badUserInput(`customServices: ${problem}`, 'customServices');
      }
      services = [...new Set<ServiceKey>([...(input.services ?? []), ...(input.customServices ?? []).map(customServiceKey)])];
      if (services.length === 0) {
        throw badUserInput('services and customServices must name at least one service; omit both to allow every service.', 'services');
      }
    }
    const label = normalizeLabel(input.label);
    const endUser = input.endUser === null || input.endUser === undefined ? null : validEndUser(input.endUser);
    const now = Date.now();
    const cutoff = new Date(now - FUNCTION_TOKEN_RETENTION_MS);
    await db.siteToken.deleteMany({
      where: { siteId, kind: 'FUNCTION', OR: [{ expiresAt: { lt: cutoff } }, { revokedAt: { lt: cutoff } }] },
    });
    const token = generateOpaqueToken(input.canConnect ? CONNECT_FUNCTION_TOKEN_PREFIX : FUNCTION_TOKEN_PREFIX);
    const accessToken = await db.siteToken.create({
      data: {
        id: generateId('tok'),
        siteId,
        kind: 'FUNCTION',
        tokenHash: hashOpaqueToken(token),
        prefix: displayPrefix(token),
        label,
        ...(services ? { services } : {}),
        canConnect: Boolean(input.canConnect),
        endUser,
        expiresAt: new Date(now + ttlSeconds * 1000),
      },
    });
    return { token, accessToken };
  }

  /** The site's tokens, newest first; without `includeRevoked`, only those that still work. */
  function list(siteId: string, includeRevoked = false): Promise<AccessTokenRow[]> {
    return db.siteToken.findMany({
      where: includeRevoked ? { siteId } : { siteId, revokedAt: null, OR: [{ expiresAt: null }, { expiresAt: { gt: new Date() } }] },
      orderBy: [{ createdAt: 'desc' }, { id: 'asc' }],
      take: MAX_LISTED_TOKENS,
    });
  }

  async function findOwned(siteId: string, id: string): Promise<AccessTokenRow> {
    const row = await db.siteToken.findUnique({ where: { id } });
    if (!row || row.siteId !== siteId) throw notFound(`No access token with id ${JSON.stringify(id.slice(0, 100))} belongs to this site: list them with accessTokens.`);
    return row;
  }

  /** Revokes a token of the site; revoking a revoked token changes nothing. */
  async function revoke(siteId: string, id: string): Promise<AccessTokenRow> {
    const row = await findOwned(siteId, id);
    lookups.delete(row.tokenHash);
    if (row.revokedAt) return row;
    await db.siteToken.updateMany({ where: { id: row.id, revokedAt: null }, data: { revokedAt: new Date() } });
    // Again after the write: a lookup running meanwhile may have cached the row as it was.
    lookups.delete(row.tokenHash);
    return db.siteToken.findUniqueOrThrow({ where: { id: row.id } });
  }

  /** Replaces a site token with a new one and revokes it, in one transaction. */
  async function rotateSiteToken(siteId: string, id: string) {
    const old = await findOwned(siteId, id);
    if (old.kind !== 'SITE') {
      throw badUserInput('Only site tokens are rotated; function tokens expire on their own (mint a new one with createFunctionToken).', 'id');
    }
    const token = generateOpaqueToken(SITE_TOKEN_PREFIX);
    const newId = generateId('tok');
    const [accessToken] = await db.$transaction([
      db.siteToken.create({
        data: { id: newId, siteId: old.siteId, kind: 'SITE', tokenHash: hashOpaqueToken(token), prefix: displayPrefix(token), label: old.label },
      }),
      db.siteToken.updateMany({ where: { id: old.id, revokedAt: null }, data: { revokedAt: new Date() } }),
    ]);
    lookups.delete(old.tokenHash);
    const revoked = await db.siteToken.findUniqueOrThrow({ where: { id: old.id } });
    return { token, accessToken, revoked };
  }

  /** Changes a site's name, allowed origins and end-user verify URL; what is omitted stays. */
  async function update(siteId: string, input: UpdateSiteInput) {
    const site = await db.site.findUniqueOrThrow({ where: { id: siteId } });
    const data: { name?: string; allowedOrigins?: string[]; endUserVerifyUrl?: string | null; mcpLoginUrl?: string | null } = {};
    if (input.name !== undefined && input.name !== null) {
      const trimmed = input.name.trim();
      if (!trimmed || trimmed.length > 200) throw badUserInput('name must be 1 to 200 characters.', 'name');
      data.name = trimmed;
    }
    if (input.allowedOrigins) {
      if (input.allowedOrigins.length > MAX_ORIGINS) throw badUserInput(`at most ${MAX_ORIGINS} allowed origins.`, 'allowedOrigins');
      data.allowedOrigins = [...new Set(input.allowedOrigins.map(normalizeOrigin))];
    }
    const origins = data.allowedOrigins ?? (Array.isArray(site.allowedOrigins) ? (site.allowedOrigins as string[]) : []);
    const verifyUrl = input.endUserVerifyUrl === undefined ? site.endUserVerifyUrl : input.endUserVerifyUrl;
    if (verifyUrl) data.endUserVerifyUrl = checkVerifyUrl(verifyUrl, origins);
    else if (input.endUserVerifyUrl === null) data.endUserVerifyUrl = null;
    const loginUrl = input.mcpLoginUrl === undefined ? site.mcpLoginUrl : input.mcpLoginUrl;
    if (loginUrl) data.mcpLoginUrl = checkSitePageUrl(loginUrl, origins, 'mcpLoginUrl', 'https://app.example.com/latchkey/mcp-login');
    else if (input.mcpLoginUrl === null) data.mcpLoginUrl = null;
    return db.site.update({ where: { id: siteId }, data });
  }

  return { create, authenticate, createFunctionToken, list, revoke, rotateSiteToken, update };
}

export type Sites = ReturnType<typeof createSites>;

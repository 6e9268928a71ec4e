// Sites and the bearer tokens that act for them.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Database } from '../db/database.js';
import type { AuditTrail } from '../audit.js';
import { displayPrefix, generateId, generateOpaqueToken, hashOpaqueToken, SITE_TOKEN_PREFIX } from '../crypto/opaque-token.js';
import { badUserInput, unauthenticated } from '../errors.js';
import type { ServiceName } from '../providers/types.js';

export type Caller =
  | { kind: 'admin' }
  | { kind: 'site'; siteId: string; tokenId: string; services: ServiceName[] | null };

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

const digest = (value: string) => createHash('sha256').update(value).digest();

export function createSites(db: Database, audit: AuditTrail, adminToken: string | undefined) {
  const adminDigest = adminToken ? digest(adminToken) : undefined;

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
    if (!token.startsWith(SITE_TOKEN_PREFIX) || token.length > 200) {
      throw unauthenticated('The bearer token is not a valid Latchkey token.');
    }
    const row = await db.siteToken.findUnique({ where: { tokenHash: hashOpaqueToken(token) } });
    if (!row || row.revokedAt) throw unauthenticated('The bearer token is not valid (unknown or revoked).');
    if (row.expiresAt && row.expiresAt.getTime() <= Date.now()) throw unauthenticated('The bearer token has expired.');
    const services = Array.isArray(row.services) ? (row.services as ServiceName[]) : null;
    return { kind: 'site', siteId: row.siteId, tokenId: row.id, services };
  }

  return { create, authenticate };
}

export type Sites = ReturnType<typeof createSites>;

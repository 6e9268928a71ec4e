// Short-lived links to the connect page: `…/connect#token=lkc_…`. The link's token is a function
// token minted with canConnect for every service: enough for the page (read the connection state,
// startAuth, signOut) and nothing more, so a leaked link cannot mint, rotate or revoke tokens or
// change the site's OAuth apps, and it expires. It rides in the fragment, which browsers never send
// to a server, and the page removes it from the address bar at once.
import type { Database } from '../db/database.js';
import { displayPrefix, generateId, generateOpaqueToken, hashOpaqueToken } from '../crypto/opaque-token.js';
import { badUserInput } from '../errors.js';
import { CONNECT_FUNCTION_TOKEN_PREFIX } from './sites.js';

export const CONNECT_LINK_LABEL = 'connect link';
export const DEFAULT_CONNECT_LINK_TTL_SECONDS = 900;
export const MIN_CONNECT_LINK_TTL_SECONDS = 60;
export const MAX_CONNECT_LINK_TTL_SECONDS = 86_400;
/** Expired links are deleted this long after they stopped working. */
const EXPIRED_LINK_RETENTION_MS = 7 * 24 * 3600 * 1000;

export function connectPageUrl(publicUrl: string): string {
  return `${publicUrl}/connect`;
}

/**
 * Mints a link for the site of `caller`. A link never outlives the token that made it, so a link
 * cannot be used to make itself longer-lived.
 */
export async function createConnectLink(db: Database, publicUrl: string, caller: { siteId: string; tokenId: string }, ttlSeconds: number) {
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < MIN_CONNECT_LINK_TTL_SECONDS || ttlSeconds > MAX_CONNECT_LINK_TTL_SECONDS) {
    throw badUserInput(
      `ttlSeconds must be a whole number from ${MIN_CONNECT_LINK_TTL_SECONDS} to ${MAX_CONNECT_LINK_TTL_SECONDS} (24 hours).`,
      'ttlSeconds',
    );
  }
  const now = Date.now();
  const issuer = await db.siteToken.findUnique({ where: { id: caller.tokenId } });
  const limit = issuer?.expiresAt?.getTime() ?? Infinity;
  const expiresAt = new Date(Math.min(now + ttlSeconds * 1000, limit));

  await db.siteToken.deleteMany({
    where: { siteId: caller.siteId, kind: 'FUNCTION', label: CONNECT_LINK_LABEL, expiresAt: { lt: new Date(now - EXPIRED_LINK_RETENTION_MS) } },
  });
  const token = generateOpaqueToken(CONNECT_FUNCTION_TOKEN_PREFIX);
  const accessToken = await db.siteToken.create({
    data: {
      id: generateId('tok'),
      siteId: caller.siteId,
      kind: 'FUNCTION',
      tokenHash: hashOpaqueToken(token),
      prefix: displayPrefix(token),
      label: CONNECT_LINK_LABEL,
      canConnect: true,
      expiresAt,
    },
  });
  return { url: `${connectPageUrl(publicUrl)}#token=${token}`, expiresAt, accessToken };
}

// Which browser origins may call the gateway: the gateway's own, and each site's allowed origins.
// CORS and the browser-token (lkc_) Origin check both ask here.
import { LRUCache } from 'lru-cache';
import type { Database } from '../db/database.js';

export interface OriginPolicyDeps {
  db: Database;
  /** LATCHKEY_PUBLIC_URL: its origin is the gateway's own (GraphiQL, the connect page). */
  publicUrl: string;
  /** How long a site's origins are reused in this process; a change on another instance shows within it. */
  cacheMs: number;
}

const asOrigins = (value: unknown): string[] => (Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []);

export function createOriginPolicy(deps: OriginPolicyDeps) {
  const gatewayOrigin = new URL(deps.publicUrl).origin;
  const ttl = Math.max(deps.cacheMs, 1);
  const bySite = new LRUCache<string, { origins: string[] }>({
    max: 10_000,
    ttl,
    fetchMethod: async (siteId) => {
      const site = await deps.db.site.findUnique({ where: { id: siteId }, select: { allowedOrigins: true } });
      return { origins: asOrigins(site?.allowedOrigins) };
    },
  });
  // A preflight carries no token, so it cannot name a site: it is granted to an origin some site
  // allows; the real request's answer is then granted only for the token's own site.
  const anySite = new LRUCache<string, { allowed: boolean }>({
    max: 10_000,
    ttl,
    fetchMethod: async (origin) => {
      const sites = await deps.db.site.findMany({ select: { allowedOrigins: true } });
      return { allowed: sites.some((site) => asOrigins(site.allowedOrigins).includes(origin)) };
    },
  });

  const fetchOrigins = async (siteId: string) => (await bySite.fetch(siteId))?.origins ?? [];

  return {
    gatewayOrigin,
    isGatewayOrigin: (origin: string) => origin === gatewayOrigin,
    /** True when the site lists `origin`, or `origin` is the gateway's own. */
    async allowsForSite(siteId: string, origin: string): Promise<boolean> {
      if (origin === gatewayOrigin) return true;
      return (await fetchOrigins(siteId)).includes(origin);
    },
    /**
     * What allowsForSite / allowsForSomeSite (without a site) would answer, from what this process
     * already holds; undefined when that needs a lookup.
     */
    cachedAllows(siteId: string | undefined, origin: string): boolean | undefined {
      if (origin === gatewayOrigin) return true;
      return siteId === undefined ? anySite.peek(origin)?.allowed : bySite.peek(siteId)?.origins.includes(origin);
    },
    /** True when any site lists `origin`, or it is the gateway's own (for preflights). */
    async allowsForSomeSite(origin: string): Promise<boolean> {
      if (origin === gatewayOrigin) return true;
      return (await anySite.fetch(origin))?.allowed ?? false;
    },
  };
}

export type OriginPolicy = ReturnType<typeof createOriginPolicy>;

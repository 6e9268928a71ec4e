import type { Services } from './services.js';
import type { Caller, SiteCaller } from './sites/sites.js';
import type { Database } from './db/database.js';

export interface GraphQLContext {
  services: Services;
  db: Database;
  caller: Caller | null;
  request: Request;
}

/** The site (or function) token behind a request; only called on fields guarded by a site auth scope. */
export function siteCallerOf(context: GraphQLContext): SiteCaller {
  if (context.caller?.kind !== 'site') throw new Error('unreachable: guarded by authScopes');
  return context.caller;
}

export const siteIdOf = (context: GraphQLContext): string => siteCallerOf(context).siteId;

import type { Services } from './services.js';
import type { Caller, SiteCaller } from './sites/sites.js';
import type { Database } from './db/database.js';
import { forbidden } from './errors.js';
import { endUserOwner, ownerOf, type Owner } from './connections/owners.js';

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

/**
 * The owner a request addresses: a token bound to an end user means that end user (naming another
 * is FORBIDDEN); otherwise `endUser` names one, and null or omitted means the site itself.
 */
export function ownerFor(context: GraphQLContext, endUser: string | null | undefined): Owner {
  const caller = siteCallerOf(context);
  if (caller.endUser) {
    if (endUser !== null && endUser !== undefined && endUser !== caller.endUser) {
      throw forbidden('This token is bound to one end user and cannot address another: omit endUser, or mint a token for that end user.');
    }
    return endUserOwner(caller.siteId, caller.endUser);
  }
  return ownerOf(caller.siteId, endUser);
}

// What the connect page needs beyond the contract's types: whether a service can be connected for
// the caller's site, and the scopes of a connection that must be connected again, so reconnecting
// asks for what the site had.
import { builder } from '../builder.js';
import type { GraphQLContext } from '../context.js';
import { grantedScopesOf } from '../connections/connection-store.js';
import { ServiceInfoRef } from './services.js';
import { ServiceConnectionRef } from './secrets.js';

const ownAppsByRequest = new WeakMap<GraphQLContext, Promise<Set<string>>>();

/** The services the caller's site has its own OAuth app for, read once per request. */
function siteApps(context: GraphQLContext): Promise<Set<string>> {
  let apps = ownAppsByRequest.get(context);
  if (!apps) {
    const caller = context.caller;
    apps =
      caller?.kind === 'site'
        ? context.services.apps.listSiteCredentials(caller.siteId).then((list) => new Set(list.map((credential) => credential.service)))
        : Promise.resolve(new Set());
    ownAppsByRequest.set(context, apps);
  }
  return apps;
}

builder.objectField(ServiceInfoRef, 'appConfigured', (t) =>
  t.boolean({
    description: "True when the service can be connected for the caller's site: the gateway has an OAuth app for it, or the site its own.",
    resolve: async (entry, _args, context) =>
      // API_KEY and BASIC services need no app: the person brings the credential.
      entry.oauth === null || context.services.apps.hasGatewayApp(entry.key) || (await siteApps(context)).has(entry.key),
  }),
);

builder.interfaceField(ServiceConnectionRef, 'storedScopes', (t) =>
  t.stringList({
    nullable: true,
    description:
      'The scopes of the stored connection, also while it needs reconnecting (status NEEDS_REAUTH); null when never connected or signed out.',
    resolve: (view) => (view.row && view.row.status !== 'REVOKED' ? grantedScopesOf(view.row) : null),
  }),
);

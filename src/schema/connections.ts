// One stored connection of the caller's site or one of its end users.
import { builder } from '../builder.js';
import type { GraphQLContext } from '../context.js';
import { grantedScopesOf, type ConnectionRow } from '../connections/connection-store.js';
import { isUsable } from '../connections/token-refresh.js';
import { publicKeyOf } from '../registry/service-registry.js';
import { catalogService } from '../providers/index.js';
import {
  assertMayUseProviderTokens,
  basicAuthOf,
  BasicAuthRef,
  ConnectionStatusEnum,
  CredentialTypeEnum,
  credentialTypeOf,
  GrantedScopeRef,
} from './secrets.js';

async function bearerTokenOf(row: ConnectionRow, context: GraphQLContext): Promise<string | null> {
  if (!isUsable(row) || row.grantType === 'BASIC') return null;
  assertMayUseProviderTokens(context);
  const fresh = await context.services.refresher.ensureFresh(row);
  return isUsable(fresh) ? context.services.store.accessTokenOf(fresh) : null;
}

export const ConnectionRef = builder.objectRef<ConnectionRow>('Connection').implement({
  description: "One stored connection of the caller's site, or of one of its end users, to one account of a service.",
  fields: (t) => ({
    id: t.exposeID('id'),
    service: t.string({ description: 'The catalog key ("github") or "custom:<slug>".', resolve: (row) => publicKeyOf(row.service) }),
    endUser: t.string({ nullable: true, description: 'The end user owning it; null for the site itself.', resolve: (row) => (row.ownerType === 'SITE' ? null : row.ownerId) }),
    account: t.string({ resolve: (row) => row.accountKey || 'default' }),
    foreignUserId: t.string({ nullable: true, resolve: (row) => row.foreignUserId }),
    foreignUserName: t.string({ nullable: true, resolve: (row) => row.foreignUserName }),
    status: t.field({ type: ConnectionStatusEnum, resolve: (row) => row.status as 'ACTIVE' }),
    isLoggedIn: t.boolean({ resolve: (row) => isUsable(row) }),
    credentialType: t.field({ type: CredentialTypeEnum, resolve: (row) => credentialTypeOf(row) }),
    bearerToken: t.string({
      nullable: true,
      description: 'A currently valid access token, or the API key; null unless logged in, and for BASIC connections (see basicAuth).',
      resolve: (row, _args, context) => bearerTokenOf(row, context),
    }),
    basicAuth: t.field({
      type: BasicAuthRef,
      nullable: true,
      description: 'For a BASIC connection: its user name and password; null otherwise or unless logged in.',
      resolve: (row, _args, context) => basicAuthOf(row, isUsable(row), context),
    }),
    expiresAt: t.field({ type: 'DateTime', nullable: true, resolve: (row) => (isUsable(row) ? row.expiresAt : null) }),
    grantedScopes: t.field({
      type: [GrantedScopeRef],
      nullable: true,
      resolve: (row) => {
        if (!isUsable(row)) return null;
        const catalogScopes = catalogService(row.service)?.oauth?.scopes ?? [];
        return grantedScopesOf(row).map((scope) => ({ scope, scopeInfo: catalogScopes.find((info) => info.scope === scope) ?? null }));
      },
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

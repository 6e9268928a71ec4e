import { builder } from '../builder.js';
import { siteCallerOf, type GraphQLContext } from '../context.js';
import { forbidden } from '../errors.js';
import { catalog } from '../providers/index.js';
import { parseServiceKey } from '../registry/service-registry.js';
import { isCustomServiceKey } from '../providers/custom.js';
import type { ScopeDefinition, ServiceName } from '../providers/types.js';
import { grantedScopesOf, type ConnectionRow } from '../connections/connection-store.js';
import { assertScopes } from '../connections/scope-check.js';
import {
  createSecretsView,
  isLoggedIn,
  type CustomServiceSecretView,
  type SecretsView,
  type ServiceSecretView,
} from '../connections/secrets-view.js';
import { ScopeInfoRef, ServiceEnum } from './services.js';

interface GrantedScopeShape {
  scope: string;
  scopeInfo: ScopeDefinition | null;
}

export const GrantedScopeRef = builder.objectRef<GrantedScopeShape>('GrantedScope').implement({
  description: 'A scope the provider reported as granted.',
  fields: (t) => ({
    scope: t.exposeString('scope'),
    scopeInfo: t.field({ type: ScopeInfoRef, nullable: true, resolve: (granted) => granted.scopeInfo }),
  }),
});

export const ConnectionStatusEnum = builder.enumType('ConnectionStatus', {
  description: 'Health of a stored connection.',
  values: ['ACTIVE', 'REFRESHING', 'NEEDS_REAUTH', 'REVOKED'] as const,
});

function grantedScopes(view: ServiceSecretView): GrantedScopeShape[] | null {
  if (!view.row || !isLoggedIn(view)) return null;
  return grantedScopesOf(view.row).map((scope) => ({ scope, scopeInfo: view.scopeCatalog.find((info) => info.scope === scope) ?? null }));
}

/**
 * Tokens minted with canConnect (the browser helper's, connect links) live in browsers: they may see
 * connection state and connect or disconnect, but never hold a provider's token or act with it.
 */
export function assertMayUseProviderTokens(context: GraphQLContext): void {
  if (context.caller?.kind === 'site' && context.caller.canConnect) {
    throw forbidden(
      'This token is browser-facing (canConnect or a connect link): it cannot read bearer tokens or call providers. Use a function token minted by your backend.',
    );
  }
}

export const CredentialTypeEnum = builder.enumType('CredentialType', {
  description: 'What a connection holds: an OAuth token (OAUTH2, CLIENT_CREDENTIALS), an API key, or a Basic user name and password.',
  values: ['OAUTH2', 'CLIENT_CREDENTIALS', 'API_KEY', 'BASIC'] as const,
});

export function credentialTypeOf(row: ConnectionRow): 'OAUTH2' | 'CLIENT_CREDENTIALS' | 'API_KEY' | 'BASIC' {
  switch (row.grantType) {
    case 'CLIENT_CREDENTIALS':
    case 'API_KEY':
    case 'BASIC':
      return row.grantType;
    default:
      return 'OAUTH2';
  }
}

export interface BasicAuthShape {
  username: string;
  password: string;
}

export const BasicAuthRef = builder.objectRef<BasicAuthShape>('BasicAuth').implement({
  description: 'The user name and password of a BASIC connection, for an `Authorization: Basic` header.',
  fields: (t) => ({
    username: t.exposeString('username'),
    password: t.exposeString('password'),
  }),
});

/** A BASIC connection's credential; null for any other connection or when not logged in. */
export function basicAuthOf(row: ConnectionRow | null, usable: boolean, context: GraphQLContext): BasicAuthShape | null {
  if (!row || !usable || row.grantType !== 'BASIC') return null;
  assertMayUseProviderTokens(context);
  const data = row.providerData as { username?: unknown } | null;
  const password = context.services.store.accessTokenOf(row);
  return typeof data?.username === 'string' && password !== null ? { username: data.username, password } : null;
}

function bearerToken(view: ServiceSecretView, context: GraphQLContext): string | null {
  if (!view.row || !isLoggedIn(view)) return null;
  // A Basic credential is a pair, read through basicAuth; it is not a bearer token.
  if (view.row.grantType === 'BASIC') return null;
  assertMayUseProviderTokens(context);
  if (view.refreshError) throw view.refreshError;
  return context.services.store.accessTokenOf(view.row);
}

/** What ServiceSecret (catalog services) and CustomServiceSecret (a site's own services) share. */
export const ServiceConnectionRef = builder.interfaceRef<ServiceSecretView>('ServiceConnection').implement({
  description: "The caller's connection to one service: a catalog service (ServiceSecret) or one the site defined (CustomServiceSecret).",
  resolveType: (view) => (isCustomServiceKey(view.service) ? 'CustomServiceSecret' : 'ServiceSecret'),
  fields: (t) => ({
    friendlyServiceName: t.exposeString('friendlyServiceName'),
    isLoggedIn: t.boolean({ resolve: isLoggedIn }),
    bearerToken: t.string({
      nullable: true,
      description: 'A currently valid access token (refreshed first if it was about to expire); null unless logged in.',
      args: {
        requireScopes: t.arg.stringList({
          required: false,
          description: 'Scopes the caller needs: when the connection lacks any of them the field fails with FORBIDDEN naming them (extensions.missingScopes).',
        }),
      },
      resolve: (view, { requireScopes }, context) => {
        if (requireScopes?.length && view.row && isLoggedIn(view)) assertScopes(view.service, grantedScopesOf(view.row), requireScopes);
        return bearerToken(view, context);
      },
    }),
    expiresAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When the access token expires; null when the provider gave no expiry.',
      resolve: (view) => (view.row && isLoggedIn(view) ? view.row.expiresAt : null),
    }),
    grantedScopes: t.field({ type: [GrantedScopeRef], nullable: true, resolve: grantedScopes }),
    foreignUserId: t.string({ nullable: true, resolve: (view) => (isLoggedIn(view) ? view.row!.foreignUserId : null) }),
    foreignUserName: t.string({ nullable: true, resolve: (view) => (isLoggedIn(view) ? view.row!.foreignUserName : null) }),
    status: t.field({
      type: ConnectionStatusEnum,
      nullable: true,
      description: 'Health of the connection; null when the service was never connected.',
      resolve: (view) => (view.row ? (view.row.status as 'ACTIVE') : null),
    }),
    lastRefreshedAt: t.field({ type: 'DateTime', nullable: true, resolve: (view) => view.row?.lastRefreshedAt ?? null }),
    refreshFailures: t.int({ resolve: (view) => view.row?.refreshFailures ?? 0 }),
    lastError: t.string({ nullable: true, resolve: (view) => view.row?.lastError ?? null }),
    credentialType: t.field({
      type: CredentialTypeEnum,
      nullable: true,
      description: 'What the connection holds; null when the service was never connected.',
      resolve: (view) => (view.row ? credentialTypeOf(view.row) : null),
    }),
    basicAuth: t.field({
      type: BasicAuthRef,
      nullable: true,
      description: 'For a BASIC connection (connectCredentials): its user name and password; null otherwise or unless logged in.',
      resolve: (view, _args, context) => basicAuthOf(view.row, isLoggedIn(view), context),
    }),
  }),
});

export const ServiceSecretRef = builder.objectRef<ServiceSecretView>('ServiceSecret').implement({
  description: "The caller's connection to one service.",
  interfaces: [ServiceConnectionRef],
  fields: (t) => ({
    service: t.field({ type: ServiceEnum, resolve: (view) => view.service as ServiceName }),
  }),
});

export const CustomServiceSecretRef = builder.objectRef<CustomServiceSecretView>('CustomServiceSecret').implement({
  description: "The caller's connection to a service the site defined itself (defineCustomService).",
  interfaces: [ServiceConnectionRef],
  fields: (t) => ({
    slug: t.exposeString('slug'),
    serviceKey: t.string({ description: 'The key its connection, webhooks and audit events use: "custom:<slug>".', resolve: (view) => view.service }),
    availableScopes: t.field({ type: [ScopeInfoRef], description: 'The scopes the site described for it.', resolve: (view) => [...view.scopeCatalog] }),
  }),
});

const SecretsRef = builder.objectRef<SecretsView>('Secrets').implement({
  description: "Per-service login state and bearer tokens of the caller's site.",
  fields: (t) => ({
    ...Object.fromEntries(
      catalog.map((file) => [
        file.key,
        t.field({ type: ServiceSecretRef, resolve: (view) => view.get(file.name) }),
      ]),
    ),
    loggedInServices: t.field({ type: [ServiceSecretRef], resolve: (view) => view.loggedIn() }),
    custom: t.field({
      type: CustomServiceSecretRef,
      nullable: true,
      description:
        'A service the site defined itself, by its slug; null with a NOT_FOUND error when the site defines none by that slug (the other fields of secrets are unaffected).',
      args: { slug: t.arg.string({ required: true }) },
      resolve: (view, { slug }) => view.getCustom(slug),
    }),
    service: t.field({
      type: ServiceConnectionRef,
      nullable: true,
      description:
        'Any service by its `service: String` form: a catalog key ("github") or "custom:<slug>". Null with a NOT_FOUND error for a custom service the site does not define.',
      args: { service: t.arg.string({ required: true }) },
      resolve: (view, { service }) => view.getByKey(parseServiceKey(service)),
    }),
    loggedInCustomServices: t.field({ type: [CustomServiceSecretRef], resolve: (view) => view.loggedInCustom() }),
    customServices: t.field({
      type: [CustomServiceSecretRef],
      description: "Every service the site defined itself, connected or not (a function token sees only its own), by slug.",
      resolve: (view) => view.allCustom(),
    }),
  }),
});

const LoggedInServiceRef = builder.objectRef<ServiceSecretView>('LoggedInService').implement({
  description: 'OneGraph / Netlify Graph compatible view of a connected service.',
  fields: (t) => ({
    service: t.string({ description: 'e.g. "GITHUB"', resolve: (view) => view.service }),
    friendlyServiceName: t.exposeString('friendlyServiceName'),
    isLoggedIn: t.boolean({ resolve: isLoggedIn }),
    bearerToken: t.string({ nullable: true, resolve: (view, _args, context) => bearerToken(view, context) }),
    grantedScopes: t.field({ type: [GrantedScopeRef], nullable: true, resolve: grantedScopes }),
    foreignUserId: t.string({ nullable: true, resolve: (view) => view.row?.foreignUserId ?? null }),
    usedTestFlow: t.boolean({ resolve: (view) => view.row?.usedTestFlow ?? false }),
  }),
});

const ServiceMetadataRef = builder.objectRef<SecretsView>('ServiceMetadata').implement({
  fields: (t) => ({
    loggedInServices: t.field({ type: [LoggedInServiceRef], resolve: (view) => view.loggedIn() }),
  }),
});

const MeRef = builder.objectRef<SecretsView>('Me').implement({
  fields: (t) => ({
    serviceMetadata: t.field({ type: ServiceMetadataRef, resolve: (view) => view }),
  }),
});

const viewsByRequest = new WeakMap<GraphQLContext, SecretsView>();

/** One view per request, so `secrets` and `me` in one query share a single read. */
export function secretsFor(context: GraphQLContext): SecretsView {
  const caller = siteCallerOf(context);
  let view = viewsByRequest.get(context);
  if (!view) {
    view = createSecretsView(context.services, caller.siteId, caller.services);
    viewsByRequest.set(context, view);
  }
  return view;
}

builder.queryFields((t) => ({
  secrets: t.field({
    type: SecretsRef,
    authScopes: { site: true },
    description: "Per-service login state and bearer tokens of the caller's site.",
    resolve: (_root, _args, context) => secretsFor(context),
  }),
  me: t.field({
    type: MeRef,
    authScopes: { site: true },
    description: 'OneGraph / Netlify Graph compatible shape (the query @netlify/functions getSecrets sent).',
    resolve: (_root, _args, context) => secretsFor(context),
  }),
}));

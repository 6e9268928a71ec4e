import { builder } from '../builder.js';
import { ownerFor, siteCallerOf, type GraphQLContext } from '../context.js';
import { endUserOf, ownerKey } from '../connections/owners.js';
import { forbidden } from '../errors.js';
import { catalog } from '../providers/index.js';
import { parseServiceKey } from '../registry/service-registry.js';
import { familyOf } from '../registry/service-keys.js';
import type { ScopeDefinition, ServiceName } from '../providers/types.js';
import { grantedScopesOf, type ConnectionRow } from '../connections/connection-store.js';
import { assertScopes } from '../connections/scope-check.js';
import type { RevocationStatus } from '../connections/revocation-queue.js';
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

export const RevocationStatusEnum = builder.enumType('RevocationStatus', {
  description: 'What a sign-out (signOut, disconnect, …) achieved at the provider; the tokens are forgotten here in every case.',
  values: {
    REVOKED: { description: 'The provider revoked the tokens (or no longer knew them).' },
    PENDING: { description: 'The provider failed transiently (5xx, 429, timeout, unreachable): Latchkey keeps retrying in the background, honouring Retry-After, on any instance.' },
    NOT_SUPPORTED: { description: 'The provider offers no revocation this gateway can use (or the account is shared with another site): the tokens were only forgotten here.' },
    FAILED: { description: 'The provider refused the revocation, or the retries ran out: the tokens may still be valid there (webhook connection.revocation_failed).' },
  } as const,
});

/**
 * The revocation status a sign-out attached to its answer; otherwise PENDING while the queue still
 * retries a signed-out connection's revocation, else null.
 */
export async function revocationOf(attached: RevocationStatus | null | undefined, row: ConnectionRow | null, context: GraphQLContext): Promise<RevocationStatus | null> {
  if (attached) return attached;
  if (row?.status !== 'REVOKED') return null;
  return (await context.services.db.pendingRevocation.count({ where: { connectionId: row.id } })) > 0 ? 'PENDING' : null;
}

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
  if (!view.row || !isLoggedIn(view)) {
    context.services.metrics.tokenRead(view.service, 'not_logged_in');
    return null;
  }
  // A Basic credential is a pair, read through basicAuth; it is not a bearer token.
  if (view.row.grantType === 'BASIC') return null;
  assertMayUseProviderTokens(context);
  if (view.refreshError) throw view.refreshError;
  context.services.metrics.tokenRead(view.service, 'ok');
  return context.services.store.accessTokenOf(view.row);
}

/** What ServiceSecret (catalog services) and CustomServiceSecret (a site's own services) share. */
export const ServiceConnectionRef = builder.interfaceRef<ServiceSecretView>('ServiceConnection').implement({
  description: "The caller's connection to one service: a catalog service (ServiceSecret) or one the site defined (CustomServiceSecret).",
  resolveType: (view) => (familyOf(view.service) === 'custom' ? 'CustomServiceSecret' : 'ServiceSecret'),
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
    connectionId: t.id({ nullable: true, description: 'The stored connection (for connection(id:) and disconnect); null when never connected.', resolve: (view) => view.row?.id ?? null }),
    endUser: t.string({ nullable: true, description: 'The end user it belongs to; null for the site\'s own.', resolve: (view) => ((view.row ?? view.owner) ? endUserOf((view.row ?? view.owner)!) : null) }),
    account: t.string({
      nullable: true,
      description: 'The account at the provider: its user id (foreignUserId), or "default" when it reports none; null when never connected.',
      resolve: (view) => view.row?.accountKey ?? null,
    }),
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
    revocation: t.field({
      type: RevocationStatusEnum,
      nullable: true,
      description: 'On a sign-out\'s answer: what happened at the provider. Elsewhere PENDING while a signed-out connection\'s revocation is still being retried, else null.',
      resolve: (view, _args, context) => revocationOf(view.revocation, view.row, context),
    }),
    revokedAtProvider: t.boolean({
      nullable: true,
      description: 'On a sign-out\'s answer: whether the provider revoked the tokens (revocation is REVOKED); null on other answers.',
      resolve: (view) => (view.revocation ? view.revocation === 'REVOKED' : null),
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
        t.field({
          type: ServiceSecretRef,
          args: {
            account: t.arg.string({
              required: false,
              description: "One of the owner's accounts (the provider's user id, or \"default\"). Default: the most recently connected usable one. An account the owner does not have reads as not logged in.",
            }),
          },
          resolve: (view, args) => view.get(file.name, args.account ?? null),
        }),
      ]),
    ),
    loggedInServices: t.field({ type: [ServiceSecretRef], resolve: (view) => view.loggedIn() }),
    custom: t.field({
      type: CustomServiceSecretRef,
      nullable: true,
      description:
        'A service the site defined itself, by its slug; null with a NOT_FOUND error when the site defines none by that slug (the other fields of secrets are unaffected).',
      args: { slug: t.arg.string({ required: true }), account: t.arg.string({ required: false }) },
      resolve: (view, { slug, account }) => view.getCustom(slug, account ?? null),
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

const viewsByRequest = new WeakMap<GraphQLContext, Map<string, SecretsView>>();

/**
 * One view per request and owner, so `secrets` and `me` in one query share a single read.
 * `endUser` as in ownerFor: omitted means the caller's own owner (the site, or its bound end user).
 */
export function secretsFor(context: GraphQLContext, endUser?: string | null): SecretsView {
  const caller = siteCallerOf(context);
  const owner = ownerFor(context, endUser);
  let views = viewsByRequest.get(context);
  if (!views) {
    views = new Map();
    viewsByRequest.set(context, views);
  }
  let view = views.get(ownerKey(owner));
  if (!view) {
    view = createSecretsView(context.services, owner, caller.services);
    views.set(ownerKey(owner), view);
  }
  return view;
}

builder.queryFields((t) => ({
  secrets: t.field({
    type: SecretsRef,
    authScopes: { site: true },
    description:
      "Per-service login state and bearer tokens of the caller's site, or of one of its end users (endUser). A token bound to an end user means that end user.",
    args: {
      endUser: t.arg.string({
        required: false,
        description: 'An end user in the site\'s own namespace: 1 to 128 characters of A-Z a-z 0-9 . _ : @ + | -. Omitted or null: the site itself.',
      }),
    },
    resolve: (_root, args, context) => secretsFor(context, args.endUser),
  }),
  me: t.field({
    type: MeRef,
    authScopes: { site: true },
    description: 'OneGraph / Netlify Graph compatible shape (the query @netlify/functions getSecrets sent).',
    resolve: (_root, _args, context) => secretsFor(context),
  }),
}));

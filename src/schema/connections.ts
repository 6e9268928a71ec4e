// One connection of a site as an object of its own: listed (newest first, keyset-paginated),
// read by id and disconnected by id. A caller sees only what it may: its site's connections, of
// its token's services, of its bound end user when the token has one.
import { builder } from '../builder.js';
import { ownerFor, siteCallerOf, type GraphQLContext } from '../context.js';
import { badUserInput, forbidden, notFound } from '../errors.js';
import type { ScopeDefinition, ServiceKey } from '../providers/types.js';
import { parseServiceKey, publicKeyOf } from '../registry/service-registry.js';
import { grantedScopesOf, type ConnectionCursor, type ConnectionRow, type ConnectionStatus } from '../connections/connection-store.js';
import { endUserOf } from '../connections/owners.js';
import { isUsable, RefreshFailedError } from '../connections/token-refresh.js';
import type { RevocationStatus } from '../connections/revocation-queue.js';
import { BasicAuthRef, ConnectionStatusEnum, RevocationStatusEnum, revocationOf, GrantedScopeRef, CredentialTypeEnum, assertMayUseProviderTokens, basicAuthOf, credentialTypeOf } from './secrets.js';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

/** How a service key is shown in `service: String` fields: `github`, `custom:<slug>`. */
export function serviceArgOf(service: string): string {
  return publicKeyOf(service as ServiceKey);
}

export function encodeCursor(row: Pick<ConnectionRow, 'createdAt' | 'id'>): string {
  return Buffer.from(JSON.stringify([row.createdAt.toISOString(), row.id])).toString('base64url');
}

export function decodeCursor(cursor: string): ConnectionCursor {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const date = new Date(createdAt);
    if (typeof id !== 'string' || id.length > 100 || Number.isNaN(date.getTime())) throw new Error('bad cursor');
    return { createdAt: date, id };
  } catch {
    throw badUserInput('after must be the endCursor of a previous page of connections.', 'after');
  }
}

/** What the caller may see of its site: all, or only some services, or only its bound end user's. */
function visible(context: GraphQLContext, row: ConnectionRow | null): row is ConnectionRow {
  const caller = siteCallerOf(context);
  if (!row || row.siteId !== caller.siteId) return false;
  if (caller.services && !caller.services.includes(row.service as ServiceKey)) return false;
  if (caller.endUser && (row.ownerType !== 'END_USER' || row.ownerId !== caller.endUser)) return false;
  return true;
}

/** The row with its token made fresh once per request, as ServiceSecret.bearerToken does. */
const freshByRequest = new WeakMap<GraphQLContext, Map<string, Promise<{ row: ConnectionRow; error: Error | null }>>>();
function fresh(context: GraphQLContext, row: ConnectionRow) {
  let map = freshByRequest.get(context);
  if (!map) {
    map = new Map();
    freshByRequest.set(context, map);
  }
  let state = map.get(row.id);
  if (!state) {
    state = context.services.refresher.ensureFresh(row).then(
      (current) => ({ row: current, error: null }),
      (error: unknown) => ({ row: error instanceof RefreshFailedError ? error.connection : row, error: error instanceof Error ? error : new Error(String(error)) }),
    );
    map.set(row.id, state);
  }
  return state;
}

async function scopeCatalogOf(context: GraphQLContext, row: ConnectionRow): Promise<readonly ScopeDefinition[]> {
  const entry = await context.services.registry.find(row.siteId, row.service as ServiceKey).catch(() => null);
  return entry?.scopes ?? [];
}

/** disconnect's answer carries what happened at the provider. */
type ConnectionAnswer = ConnectionRow & { revocation?: RevocationStatus | null };

export const ConnectionRef = builder.objectRef<ConnectionAnswer>('Connection').implement({
  description: 'One stored connection: an owner (the site, or one end user), a service and one account at it.',
  fields: (t) => ({
    id: t.exposeID('id'),
    service: t.string({ description: 'github, spotify, … or custom:<slug>.', resolve: (row) => serviceArgOf(row.service) }),
    endUser: t.string({ nullable: true, description: 'The end user it belongs to; null for the site itself.', resolve: endUserOf }),
    account: t.string({ description: 'The provider\'s user id, or "default" when it reports none.', resolve: (row) => row.accountKey }),
    foreignUserId: t.string({ nullable: true, resolve: (row) => row.foreignUserId }),
    foreignUserName: t.string({ nullable: true, resolve: (row) => row.foreignUserName }),
    status: t.field({ type: ConnectionStatusEnum, resolve: (row) => row.status as ConnectionStatus }),
    isLoggedIn: t.boolean({ resolve: (row) => isUsable(row) }),
    revocation: t.field({
      type: RevocationStatusEnum,
      nullable: true,
      description: "On disconnect's answer: what happened at the provider. Elsewhere PENDING while a disconnected connection's revocation is still being retried, else null.",
      resolve: (row, _args, context) => revocationOf(row.revocation, row, context),
    }),
    revokedAtProvider: t.boolean({
      nullable: true,
      description: "On disconnect's answer: whether the provider revoked the tokens (revocation is REVOKED); null on other answers.",
      resolve: (row) => (row.revocation ? row.revocation === 'REVOKED' : null),
    }),
    credentialType: t.field({ type: CredentialTypeEnum, resolve: credentialTypeOf }),
    bearerToken: t.string({
      nullable: true,
      description: 'A currently valid access token (refreshed first if it was about to expire); null unless logged in.',
      resolve: async (row, _args, context) => {
        // A Basic credential is a pair, read through basicAuth; it is not a bearer token.
        if (!isUsable(row) || row.grantType === 'BASIC') return null;
        assertMayUseProviderTokens(context);
        const { row: current, error } = await fresh(context, row);
        if (error) throw error;
        return isUsable(current) ? context.services.store.accessTokenOf(current) : null;
      },
    }),
    basicAuth: t.field({
      type: BasicAuthRef,
      nullable: true,
      description: 'The username and password of a BASIC connection; null for every other kind.',
      resolve: (row, _args, context) => basicAuthOf(row, isUsable(row), context),
    }),
    expiresAt: t.field({ type: 'DateTime', nullable: true, resolve: (row) => (isUsable(row) ? row.expiresAt : null) }),
    grantedScopes: t.field({
      type: [GrantedScopeRef],
      nullable: true,
      resolve: async (row, _args, context) => {
        if (!isUsable(row)) return null;
        const catalog = await scopeCatalogOf(context, row);
        return grantedScopesOf(row).map((scope) => ({ scope, scopeInfo: catalog.find((info) => info.scope === scope) ?? null }));
      },
    }),
    lastRefreshedAt: t.field({ type: 'DateTime', nullable: true, resolve: (row) => row.lastRefreshedAt }),
    refreshFailures: t.int({ resolve: (row) => row.refreshFailures }),
    lastError: t.string({ nullable: true, resolve: (row) => row.lastError }),
    connectedAt: t.field({ type: 'DateTime', description: 'The latest successful authorization (a reconnect counts).', resolve: (row) => row.connectedAt }),
    createdAt: t.field({ type: 'DateTime', resolve: (row) => row.createdAt }),
    updatedAt: t.field({ type: 'DateTime', resolve: (row) => row.updatedAt }),
  }),
});

const PageInfoRef = builder.objectRef<{ hasNextPage: boolean; endCursor: string | null }>('PageInfo').implement({
  fields: (t) => ({
    hasNextPage: t.exposeBoolean('hasNextPage'),
    endCursor: t.string({ nullable: true, description: 'Pass as `after` for the next page.', resolve: (info) => info.endCursor }),
  }),
});

const ConnectionPageRef = builder.objectRef<{ nodes: ConnectionRow[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } }>('ConnectionPage').implement({
  fields: (t) => ({
    nodes: t.field({ type: [ConnectionRef], resolve: (page) => page.nodes }),
    pageInfo: t.field({ type: PageInfoRef, resolve: (page) => page.pageInfo }),
  }),
});

builder.queryFields((t) => ({
  boundEndUser: t.string({
    nullable: true,
    authScopes: { site: true },
    description: "The end user the caller's token is bound to (a function token minted with endUser, or a connect session); null otherwise.",
    resolve: (_root, _args, context) => siteCallerOf(context).endUser ?? null,
  }),
  connections: t.field({
    type: ConnectionPageRef,
    authScopes: { site: true },
    description:
      "The site's connections, newest first; endUser, service and status filter and combine. Without endUser a site token lists every owner's; a token bound to an end user lists that end user's.",
    args: {
      endUser: t.arg.string({ required: false }),
      service: t.arg.string({ required: false, description: 'github, spotify, … or custom:<slug>.' }),
      status: t.arg({ type: ConnectionStatusEnum, required: false }),
      first: t.arg.int({ required: false, defaultValue: DEFAULT_PAGE_SIZE }),
      after: t.arg.string({ required: false }),
    },
    resolve: async (_root, args, context) => {
      const caller = siteCallerOf(context);
      const first = args.first ?? DEFAULT_PAGE_SIZE;
      if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) throw badUserInput(`first must be a whole number from 1 to ${MAX_PAGE_SIZE}.`, 'first');
      const owner = args.endUser !== null && args.endUser !== undefined ? ownerFor(context, args.endUser) : caller.endUser ? ownerFor(context, null) : undefined;
      let services = caller.services ?? undefined;
      if (args.service) {
        const service = parseServiceKey(args.service);
        services = services && !services.includes(service) ? [] : [service];
      }
      if (services?.length === 0) return { nodes: [], pageInfo: { hasNextPage: false, endCursor: null } };
      const cursor = args.after ? decodeCursor(args.after) : null;
      const rows = await context.services.store.listPage(
        { siteId: caller.siteId, owner, services, status: (args.status ?? undefined) as ConnectionStatus | undefined },
        first + 1,
        cursor,
      );
      const nodes = rows.slice(0, first);
      return { nodes, pageInfo: { hasNextPage: rows.length > first, endCursor: nodes.length ? encodeCursor(nodes.at(-1)!) : null } };
    },
  }),
  connection: t.field({
    type: ConnectionRef,
    nullable: true,
    authScopes: { site: true },
    description: "One connection by id; null, with no error, when it is not the caller's.",
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, context) => {
      const text = String(id);
      if (text.length > 100) return null;
      const row = await context.services.store.findById(text);
      return visible(context, row) ? row : null;
    },
  }),
}));

builder.mutationField('disconnect', (t) =>
  t.field({
    type: ConnectionRef,
    // The site token, or a browser token (canConnect) of the connection's service; checked below.
    authScopes: { site: true },
    description: 'Revoke at the provider where supported, and forget this one connection.',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, context) => {
      const caller = siteCallerOf(context);
      const text = String(id);
      const row = text.length > 100 ? null : await context.services.store.findById(text);
      if (!visible(context, row)) {
        throw notFound(`No connection with id ${JSON.stringify(text.slice(0, 100))} belongs to this caller: list them with connections.`);
      }
      if (caller.tokenKind === 'FUNCTION' && !caller.canConnect) {
        throw forbidden('A read-only function token cannot disconnect: use the site token, or a connect session.');
      }
      const revocation = await context.services.flow.disconnect(row);
      return { ...((await context.services.store.findById(row.id)) ?? row), revocation };
    },
  }),
);


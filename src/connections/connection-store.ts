// Reads and writes connections. Tokens are encrypted here and nowhere else, each bound to its row
// and column, so the rest of the code handles plaintext only in memory.
import type { Database, DatabaseProvider } from '../db/database.js';
import { decryptSecret, encryptSecret, secretContext, type Keyring } from '../crypto/token-cipher.js';
import { generateId } from '../crypto/opaque-token.js';
import type { ServiceKey } from '../providers/types.js';
import type { TokenSet } from '../oauth/token-set.js';
import type { ForeignIdentity } from '../oauth/identity.js';
import { accountOf, ownerKey, siteOwner, type Owner } from './owners.js';
import { CUSTOM_KEY_PREFIX } from '../registry/service-keys.js';

export { siteOwner };

export type ConnectionRow = Awaited<ReturnType<Database['connection']['findUniqueOrThrow']>>;
export type ConnectionStatus = 'ACTIVE' | 'REFRESHING' | 'NEEDS_REAUTH' | 'REVOKED';
/** CLIENT_CREDENTIALS connections have no refresh token; they are refreshed by asking again. */
export type ConnectionGrantType = 'AUTHORIZATION_CODE' | 'CLIENT_CREDENTIALS' | 'API_KEY' | 'BASIC';

export type ConnectionOwner = Owner;

const isUsableRow = (row: ConnectionRow) => (row.status === 'ACTIVE' || row.status === 'REFRESHING') && row.accessToken !== null;

/**
 * The account an owner's read of a service means when it names none: the most recently connected
 * usable one, else the most recently connected (so its status, e.g. NEEDS_REAUTH, still shows).
 * `rows` are one owner's rows of one service.
 */
export function defaultAccountOf(rows: readonly ConnectionRow[]): ConnectionRow | null {
  let best: ConnectionRow | null = null;
  for (const row of rows) {
    if (!best) best = row;
    else if (isUsableRow(row) !== isUsableRow(best)) best = isUsableRow(row) ? row : best;
    else if (row.connectedAt.getTime() > best.connectedAt.getTime()) best = row;
  }
  return best;
}

/** The order of listForOwner: createdAt, then id, both descending. */
function newestFirst(a: ConnectionRow, b: ConnectionRow): number {
  return b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

/** What connections(...) filters by; every field optional, all of them combine. */
export interface ConnectionFilter {
  siteId: string;
  owner?: Owner | undefined;
  services?: readonly string[] | undefined;
  status?: ConnectionStatus | undefined;
}

export interface ConnectionCursor {
  createdAt: Date;
  id: string;
}

export function grantedScopesOf(row: ConnectionRow): string[] {
  return Array.isArray(row.grantedScopes) ? row.grantedScopes.filter((scope): scope is string => typeof scope === 'string') : [];
}

export function createConnectionStore(db: Database, keyring: Keyring, provider: DatabaseProvider = 'sqlite') {
  const encrypt = (id: string, column: 'accessToken' | 'refreshToken', value: string) =>
    encryptSecret(keyring, value, secretContext('Connection', column, id));

  // A row read once is shared by the requests of the connection cache's window: its access token
  // is decrypted once, and forgotten with the row.
  const decryptedAccessTokens = new WeakMap<ConnectionRow, string | null>();

  function accessTokenOf(row: ConnectionRow): string | null {
    let token = decryptedAccessTokens.get(row);
    if (token === undefined) {
      token = row.accessToken ? decryptSecret(keyring, row.accessToken, secretContext('Connection', 'accessToken', row.id)) : null;
      decryptedAccessTokens.set(row, token);
    }
    return token;
  }

  function refreshTokenOf(row: ConnectionRow): string | null {
    return row.refreshToken ? decryptSecret(keyring, row.refreshToken, secretContext('Connection', 'refreshToken', row.id)) : null;
  }

  /** Every connection of one owner (all services and accounts), one query: the hot path of `secrets`. */
  function listForOwner(owner: Owner): Promise<ConnectionRow[]> {
    return db.connection.findMany({
      where: { siteId: owner.siteId, ownerType: owner.ownerType, ownerId: owner.ownerId },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    });
  }

  /**
   * Every connection of each of `owners`, in the order given: one query per site and owner type
   * (`ownerId IN (…)` on the owner index), so the connection cache answers many concurrent misses
   * with one round trip instead of one each.
   */
  async function listForOwners(owners: readonly Owner[]): Promise<ConnectionRow[][]> {
    const groups = new Map<string, { siteId: string; ownerType: string; ownerIds: Set<string> }>();
    for (const owner of owners) {
      const key = `${owner.siteId}\u0000${owner.ownerType}`;
      let group = groups.get(key);
      if (!group) groups.set(key, (group = { siteId: owner.siteId, ownerType: owner.ownerType, ownerIds: new Set() }));
      group.ownerIds.add(owner.ownerId);
    }
    const byOwner = new Map<string, ConnectionRow[]>();
    await Promise.all(
      [...groups.values()].map(async ({ siteId, ownerType, ownerIds }) => {
        // No ORDER BY: with one, SQLite walks the (siteId, createdAt, id) index through every row of
        // the site instead of seeking each owner; the few rows per owner are sorted here instead.
        const rows = await db.connection.findMany({
          where: { siteId, ownerType, ownerId: ownerIds.size === 1 ? [...ownerIds][0]! : { in: [...ownerIds] } },
        });
        rows.sort(newestFirst);
        for (const row of rows) {
          const key = ownerKey(row as Owner);
          const list = byOwner.get(key);
          if (list) list.push(row);
          else byOwner.set(key, [row]);
        }
      }),
    );
    return owners.map((owner) => byOwner.get(ownerKey(owner)) ?? []);
  }

  /** One account of the owner's service; without `account`, the default one (defaultAccountOf). */
  async function find(owner: Owner, service: ServiceKey, account?: string | null): Promise<ConnectionRow | null> {
    const { siteId, ownerType, ownerId } = owner;
    if (account) {
      return db.connection.findUnique({ where: { siteId_service_ownerType_ownerId_accountKey: { siteId, ownerType, ownerId, service, accountKey: account } } });
    }
    return defaultAccountOf(await db.connection.findMany({ where: { siteId, ownerType, ownerId, service } }));
  }

  /**
   * One page of a site's connections, newest first (createdAt, then id, both descending), after
   * `cursor`. Served by the (siteId[, ownerType, ownerId], createdAt, id) indexes: each page costs
   * the same however deep it is.
   */
  function listPage(filter: ConnectionFilter, take: number, cursor?: ConnectionCursor | null): Promise<ConnectionRow[]> {
    return db.connection.findMany({
      where: {
        siteId: filter.siteId,
        ...(filter.owner ? { ownerType: filter.owner.ownerType, ownerId: filter.owner.ownerId } : {}),
        ...(filter.services ? { service: { in: [...filter.services] } } : {}),
        ...(filter.status ? { status: filter.status } : {}),
        // `createdAt <= cursor` repeats what the OR implies so that PostgreSQL can start the index
        // scan at the cursor (an index condition) instead of filtering every newer row out of it.
        ...(cursor ? { createdAt: { lte: cursor.createdAt }, OR: [{ createdAt: { lt: cursor.createdAt } }, { createdAt: cursor.createdAt, id: { lt: cursor.id } }] } : {}),
      },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take,
    });
  }

  function findById(id: string): Promise<ConnectionRow | null> {
    return db.connection.findUnique({ where: { id } });
  }

  /**
   * Stores the result of a completed authorization as the owner's account `identity.id` (or
   * "default"): the same account again replaces its tokens, another account adds a connection.
   */
  async function saveAuthorized(
    owner: Owner,
    service: ServiceKey,
    tokens: TokenSet,
    identity: ForeignIdentity | null,
    usedTestFlow = false,
    grantType: ConnectionGrantType = 'AUTHORIZATION_CODE',
  ): Promise<ConnectionRow> {
    const accountKey = accountOf(identity?.id);
    const existing = await find(owner, service, accountKey);
    if (existing) return writeAuthorized(existing.id);
    try {
      return await writeAuthorized(generateId('conn'), true);
    } catch (error) {
      // Two first connects raced and the other created the row: the ciphertexts must be bound to
      // the id the row really has, so write again under that id.
      if ((error as { code?: string }).code !== 'P2002') throw error;
      const created = await find(owner, service, accountKey);
      if (!created) throw error;
      return writeAuthorized(created.id);
    }

    function writeAuthorized(id: string, create = false): Promise<ConnectionRow> {
      const fields = {
        status: 'ACTIVE' as const,
        grantType,
        accessToken: encrypt(id, 'accessToken', tokens.accessToken),
        refreshToken: tokens.refreshToken ? encrypt(id, 'refreshToken', tokens.refreshToken) : null,
        tokenType: tokens.tokenType,
        expiresAt: tokens.expiresAt,
        grantedScopes: tokens.grantedScopes,
        providerData: tokens.providerData,
        foreignUserId: identity?.id ?? null,
        foreignUserName: identity?.name ?? null,
        usedTestFlow,
        lastRefreshedAt: null,
        tokenIssuedAt: new Date(),
        connectedAt: new Date(),
        refreshFailures: 0,
        lastError: null,
        nextRefreshAt: null,
      };
      return create
        ? db.connection.create({ data: { id, siteId: owner.siteId, ownerType: owner.ownerType, ownerId: owner.ownerId, accountKey, service, ...fields } })
        : db.connection.update({ where: { id }, data: { ...fields, version: { increment: 1 } } });
    }
  }

  /**
   * Stores refreshed tokens only if nobody changed the row since `row.version`. One statement
   * writes the access token, the rotated refresh token and the health fields and releases the
   * refresh lease, so no reader ever sees one without the other. Returns null when another writer
   * got there first.
   */
  async function saveRefreshed(row: ConnectionRow, tokens: TokenSet): Promise<ConnectionRow | null> {
    // One statement that also returns the row (UPDATE … RETURNING): the sweeper's hot path.
    return db.connection.update({
      where: { id: row.id, version: row.version },
      data: {
        status: 'ACTIVE',
        accessToken: encrypt(row.id, 'accessToken', tokens.accessToken),
        // A refresh answer without a refresh token leaves the old one valid.
        ...(tokens.refreshToken ? { refreshToken: encrypt(row.id, 'refreshToken', tokens.refreshToken) } : {}),
        tokenType: tokens.tokenType,
        expiresAt: tokens.expiresAt,
        grantedScopes: tokens.grantedScopes,
        ...(Object.keys(tokens.providerData).length > 0 ? { providerData: tokens.providerData } : {}),
        lastRefreshedAt: new Date(),
        tokenIssuedAt: new Date(),
        refreshFailures: 0,
        lastError: null,
        nextRefreshAt: null,
        refreshLockedUntil: null,
        refreshLockOwner: null,
        version: { increment: 1 },
      },
    }).catch((error: unknown) => {
      // P2025: no row with this id and version, so another writer got there first.
      if ((error as { code?: string }).code === 'P2025') return null;
      throw error;
    });
  }

  /**
   * Records a failed refresh (unless the row changed since `row.version`) and releases the lease:
   * NEEDS_REAUTH when only a new authorization helps, ACTIVE with `nextRefreshAt` for a back-off.
   */
  async function markRefreshFailed(
    row: ConnectionRow,
    status: ConnectionStatus,
    reason: string,
    options: { nextRefreshAt?: Date | null } = {},
  ): Promise<ConnectionRow | null> {
    const { count } = await db.connection.updateMany({
      where: { id: row.id, version: row.version },
      data: {
        status,
        lastError: reason.slice(0, 500),
        refreshFailures: { increment: 1 },
        nextRefreshAt: options.nextRefreshAt ?? null,
        refreshLockedUntil: null,
        refreshLockOwner: null,
        version: { increment: 1 },
      },
    });
    return count === 1 ? findById(row.id) : null;
  }

  /**
   * Takes the refresh lease of the connection as the caller read it (same version) for `leaseMs`
   * unless another holder's lease is still running, and shows REFRESHING meanwhile. A single
   * conditional update, so exactly one caller wins on SQLite and PostgreSQL alike; an expired lease
   * (its holder died) can be taken over. A row another holder changed since (a recorded failure,
   * new tokens) is not leased: its new state is the caller's answer, and a lease taken on it would
   * show REFRESHING to whoever reads it back in that moment.
   */
  async function acquireRefreshLease(row: Pick<ConnectionRow, 'id' | 'version'>, owner: string, leaseMs: number): Promise<boolean> {
    const { id } = row;
    const now = new Date();
    const { count } = await db.connection.updateMany({
      where: {
        id,
        version: row.version,
        status: { in: ['ACTIVE', 'REFRESHING'] },
        OR: [{ refreshLockedUntil: null }, { refreshLockedUntil: { lte: now } }],
      },
      data: { status: 'REFRESHING', refreshLockedUntil: new Date(now.getTime() + leaseMs), refreshLockOwner: owner },
    });
    if (count === 1) return true;
    // A lease this owner took already (a sweep's claim) is its to use.
    const held = await db.connection.count({ where: { id, refreshLockOwner: owner, refreshLockedUntil: { gt: now } } });
    return held === 1;
  }

  /**
   * Claims the refresh leases of those of `rows` that nobody holds and nobody changed since they
   * were read (same version: not refreshed meanwhile), for `owner`, and returns the claimed rows.
   * Each instance's sweep claims its own rows this way, so instances share the work instead of
   * refreshing the same rows. On PostgreSQL the rows are locked with FOR UPDATE SKIP LOCKED first:
   * a row another instance is claiming at this moment is skipped, not waited for. On SQLite the
   * single conditional update is the claim (SQLite has one writer at a time).
   */
  async function claimForRefresh(rows: ReadonlyArray<Pick<ConnectionRow, 'id' | 'version'>>, owner: string, leaseMs: number): Promise<ConnectionRow[]> {
    if (rows.length === 0) return [];
    const claim = async (client: Pick<Database, 'connection'>, candidates: ReadonlyArray<Pick<ConnectionRow, 'id' | 'version'>>) => {
      if (candidates.length === 0) return [];
      const now = new Date();
      const ids = candidates.map((row) => row.id);
      await client.connection.updateMany({
        where: {
          OR: candidates.map((row) => ({ id: row.id, version: row.version })),
          status: { in: ['ACTIVE', 'REFRESHING'] },
          AND: [{ OR: [{ refreshLockedUntil: null }, { refreshLockedUntil: { lte: now } }] }],
        },
        data: { status: 'REFRESHING', refreshLockedUntil: new Date(now.getTime() + leaseMs), refreshLockOwner: owner },
      });
      const claimed = await client.connection.findMany({ where: { id: { in: ids }, refreshLockOwner: owner, status: 'REFRESHING' } });
      const versions = new Map(candidates.map((row) => [row.id, row.version]));
      return claimed.filter((row) => versions.get(row.id) === row.version);
    };
    if (provider !== 'postgresql') return claim(db, rows);
    return db.$transaction(async (tx) => {
      const locked = await tx.$queryRawUnsafe<Array<{ id: string }>>(
        'SELECT "id" FROM "Connection" WHERE "id" = ANY($1::text[]) FOR UPDATE SKIP LOCKED',
        rows.map((row) => row.id),
      );
      const lockedIds = new Set(locked.map((row) => row.id));
      return claim(tx, rows.filter((row) => lockedIds.has(row.id)));
    });
  }

  /** Gives a lease back without writing tokens; a connection still REFRESHING is ACTIVE again. */
  async function releaseRefreshLease(id: string, owner: string): Promise<void> {
    const { count } = await db.connection.updateMany({
      where: { id, refreshLockOwner: owner, status: 'REFRESHING' },
      data: { status: 'ACTIVE', refreshLockedUntil: null, refreshLockOwner: null },
    });
    if (count === 0) {
      // Revoked or re-authorized meanwhile: keep that status, only drop the lease.
      await db.connection.updateMany({ where: { id, refreshLockOwner: owner }, data: { refreshLockedUntil: null, refreshLockOwner: null } });
    }
  }

  /**
   * Connections a sweep should refresh now: usable, refreshable (a refresh token, or client
   * credentials to ask with again), expiring before their service's horizon, not backing off and
   * not leased. Soonest expiry first.
   */
  function listDueForRefresh(horizons: ReadonlyMap<string, Date>, customHorizon: Date, limit: number): Promise<ConnectionRow[]> {
    const now = new Date();
    return db.connection.findMany({
      where: {
        status: { in: ['ACTIVE', 'REFRESHING'] },
        OR: [
          ...[...horizons].map(([service, horizon]) => ({ service, expiresAt: { lte: horizon } })),
          { service: { startsWith: CUSTOM_KEY_PREFIX }, expiresAt: { lte: customHorizon } },
        ],
        AND: [
          { OR: [{ refreshToken: { not: null } }, { grantType: 'CLIENT_CREDENTIALS' }] },
          { OR: [{ nextRefreshAt: null }, { nextRefreshAt: { lte: now } }] },
          { OR: [{ refreshLockedUntil: null }, { refreshLockedUntil: { lte: now } }] },
        ],
      },
      orderBy: { expiresAt: 'asc' },
      take: limit,
    });
  }

  /**
   * Forgets the tokens of the version the caller read; the row stays as REVOKED so its history and
   * health remain visible. False when the row changed meanwhile (a reconnect that landed during the
   * revocation is kept).
   */
  async function forget(row: ConnectionRow): Promise<boolean> {
    const { count } = await db.connection.updateMany({
      where: { id: row.id, version: row.version },
      data: {
        status: 'REVOKED',
        accessToken: null,
        refreshToken: null,
        expiresAt: null,
        grantedScopes: [],
        lastError: null,
        version: { increment: 1 },
      },
    });
    return count === 1;
  }

  /** Deletes every connection of a site to a service (a custom service being removed). */
  async function removeAll(siteId: string, service: ServiceKey): Promise<number> {
    const { count } = await db.connection.deleteMany({ where: { siteId, service } });
    return count;
  }

  // In-process listeners told whose connections a write changed (the connection cache drops that
  // owner's entry); a site-wide write (removeAll) names the site alone.
  type WriteListener = (change: { siteId: string; ownerKey?: string }) => void;
  const writeListeners = new Set<WriteListener>();
  function onWrite(listener: WriteListener): () => void {
    writeListeners.add(listener);
    return () => writeListeners.delete(listener);
  }
  function notifying<A extends unknown[], R>(write: (...args: A) => Promise<R>, changeOf: (...args: A) => { siteId: string; ownerKey?: string }) {
    return async (...args: A): Promise<R> => {
      try {
        return await write(...args);
      } finally {
        for (const listener of writeListeners) listener(changeOf(...args));
      }
    };
  }
  const rowChange = (row: ConnectionRow) => ({ siteId: row.siteId, ownerKey: ownerKey(row as Owner) });

  return {
    accessTokenOf, refreshTokenOf, listForOwner, listForOwners, find, findById, listPage,
    saveAuthorized: notifying(saveAuthorized, (owner) => ({ siteId: owner.siteId, ownerKey: ownerKey(owner) })),
    saveRefreshed: notifying(saveRefreshed, rowChange),
    markRefreshFailed: notifying(markRefreshFailed, rowChange),
    acquireRefreshLease, releaseRefreshLease, listDueForRefresh, claimForRefresh,
    forget: notifying(forget, rowChange),
    removeAll: notifying(removeAll, (siteId) => ({ siteId })),
    onWrite,
  };
}

export type ConnectionStore = ReturnType<typeof createConnectionStore>;

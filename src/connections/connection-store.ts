// Reads and writes connections. Tokens are encrypted here and nowhere else, each bound to its row
// and column, so the rest of the code handles plaintext only in memory.
import type { Database } from '../db/database.js';
import { decryptSecret, encryptSecret, secretContext, type Keyring } from '../crypto/token-cipher.js';
import { generateId } from '../crypto/opaque-token.js';
import type { ServiceKey } from '../providers/types.js';
import type { TokenSet } from '../oauth/token-set.js';
import type { ForeignIdentity } from '../oauth/identity.js';

export type ConnectionRow = Awaited<ReturnType<Database['connection']['findUniqueOrThrow']>>;
export type ConnectionStatus = 'ACTIVE' | 'REFRESHING' | 'NEEDS_REAUTH' | 'REVOKED';
/** CLIENT_CREDENTIALS connections have no refresh token; they are refreshed by asking again. */
export type ConnectionGrantType = 'AUTHORIZATION_CODE' | 'CLIENT_CREDENTIALS' | 'API_KEY' | 'BASIC';

export interface ConnectionOwner {
  siteId: string;
  ownerType: 'SITE' | 'VISITOR';
  ownerId: string;
  accountKey: string;
}

export const siteOwner = (siteId: string): ConnectionOwner => ({ siteId, ownerType: 'SITE', ownerId: '', accountKey: '' });

export function grantedScopesOf(row: ConnectionRow): string[] {
  return Array.isArray(row.grantedScopes) ? row.grantedScopes.filter((scope): scope is string => typeof scope === 'string') : [];
}

export function createConnectionStore(db: Database, keyring: Keyring) {
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

  /** Every connection of one owner, one query: the hot path of `secrets`. */
  function listForOwner(owner: Omit<ConnectionOwner, 'accountKey'>): Promise<ConnectionRow[]> {
    return db.connection.findMany({
      where: { siteId: owner.siteId, ownerType: owner.ownerType, ownerId: owner.ownerId },
      orderBy: [{ service: 'asc' }, { accountKey: 'asc' }],
    });
  }

  function find(owner: ConnectionOwner, service: ServiceKey): Promise<ConnectionRow | null> {
    return db.connection.findUnique({
      where: { siteId_service_ownerType_ownerId_accountKey: { ...owner, service } },
    });
  }

  function findById(id: string): Promise<ConnectionRow | null> {
    return db.connection.findUnique({ where: { id } });
  }

  /** Stores the result of a completed authorization, replacing any earlier tokens of the same owner. */
  async function saveAuthorized(
    owner: ConnectionOwner,
    service: ServiceKey,
    tokens: TokenSet,
    identity: ForeignIdentity | null,
    usedTestFlow = false,
    grantType: ConnectionGrantType = 'AUTHORIZATION_CODE',
  ): Promise<ConnectionRow> {
    const existing = await find(owner, service);
    if (existing) return writeAuthorized(existing.id);
    try {
      return await writeAuthorized(generateId('conn'), true);
    } catch (error) {
      // Two first connects raced and the other created the row: the ciphertexts must be bound to
      // the id the row really has, so write again under that id.
      if ((error as { code?: string }).code !== 'P2002') throw error;
      const created = await find(owner, service);
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
        refreshFailures: 0,
        lastError: null,
        nextRefreshAt: null,
      };
      return create
        ? db.connection.create({ data: { id, ...owner, service, ...fields } })
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
    const { count } = await db.connection.updateMany({
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
    });
    return count === 1 ? findById(row.id) : null;
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
   * Takes the connection's refresh lease for `leaseMs` unless another holder's lease is still
   * running, and shows REFRESHING meanwhile. A single conditional update, so exactly one caller
   * wins on SQLite and PostgreSQL alike; an expired lease (its holder died) can be taken over.
   */
  async function acquireRefreshLease(id: string, owner: string, leaseMs: number): Promise<boolean> {
    const now = new Date();
    const { count } = await db.connection.updateMany({
      where: {
        id,
        status: { in: ['ACTIVE', 'REFRESHING'] },
        OR: [{ refreshLockedUntil: null }, { refreshLockedUntil: { lte: now } }],
      },
      data: { status: 'REFRESHING', refreshLockedUntil: new Date(now.getTime() + leaseMs), refreshLockOwner: owner },
    });
    return count === 1;
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
          { service: { startsWith: 'custom:' }, expiresAt: { lte: customHorizon } },
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

  /** Forgets the tokens; the row stays as REVOKED so its history and health remain visible. */
  /**
   * Forgets the tokens of the version the caller read; false when the row changed meanwhile (a
   * reconnect that landed during the revocation is kept).
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

  // In-process listeners told which site's connections a write changed (the connection cache drops them).
  const writeListeners = new Set<(siteId: string) => void>();
  function onWrite(listener: (siteId: string) => void): () => void {
    writeListeners.add(listener);
    return () => writeListeners.delete(listener);
  }
  function notifying<A extends unknown[], R>(write: (...args: A) => Promise<R>, siteOf: (...args: A) => string) {
    return async (...args: A): Promise<R> => {
      try {
        return await write(...args);
      } finally {
        for (const listener of writeListeners) listener(siteOf(...args));
      }
    };
  }

  return {
    accessTokenOf, refreshTokenOf, listForOwner, find, findById,
    saveAuthorized: notifying(saveAuthorized, (owner) => owner.siteId),
    saveRefreshed: notifying(saveRefreshed, (row) => row.siteId),
    markRefreshFailed: notifying(markRefreshFailed, (row) => row.siteId),
    acquireRefreshLease, releaseRefreshLease, listDueForRefresh,
    forget: notifying(forget, (row) => row.siteId),
    removeAll: notifying(removeAll, (siteId) => siteId),
    onWrite,
  };
}

export type ConnectionStore = ReturnType<typeof createConnectionStore>;

// Reads and writes connections. Tokens are encrypted here and nowhere else, each bound to its row
// and column, so the rest of the code handles plaintext only in memory.
import type { Database } from '../db/database.js';
import { decryptSecret, encryptSecret, secretContext, type Keyring } from '../crypto/token-cipher.js';
import { generateId } from '../crypto/opaque-token.js';
import type { ServiceName } from '../providers/types.js';
import type { TokenSet } from '../oauth/token-set.js';
import type { ForeignIdentity } from '../oauth/identity.js';

export type ConnectionRow = Awaited<ReturnType<Database['connection']['findUniqueOrThrow']>>;
export type ConnectionStatus = 'ACTIVE' | 'REFRESHING' | 'NEEDS_REAUTH' | 'REVOKED';

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

  function accessTokenOf(row: ConnectionRow): string | null {
    return row.accessToken ? decryptSecret(keyring, row.accessToken, secretContext('Connection', 'accessToken', row.id)) : null;
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

  function find(owner: ConnectionOwner, service: ServiceName): Promise<ConnectionRow | null> {
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
    service: ServiceName,
    tokens: TokenSet,
    identity: ForeignIdentity | null,
    usedTestFlow = false,
  ): Promise<ConnectionRow> {
    const existing = await find(owner, service);
    const id = existing?.id ?? generateId('conn');
    const fields = {
      status: 'ACTIVE' as const,
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
      refreshFailures: 0,
      lastError: null,
      nextRefreshAt: null,
    };
    return db.connection.upsert({
      where: { siteId_service_ownerType_ownerId_accountKey: { ...owner, service } },
      create: { id, ...owner, service, ...fields },
      update: { ...fields, version: { increment: 1 } },
    });
  }

  /**
   * Stores refreshed tokens only if nobody changed the row since `expectedVersion`; the rotated
   * refresh token is written in the same statement as its access token. Returns null when another
   * writer got there first.
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
        refreshFailures: 0,
        lastError: null,
        nextRefreshAt: null,
        version: { increment: 1 },
      },
    });
    return count === 1 ? findById(row.id) : null;
  }

  async function markRefreshFailed(row: ConnectionRow, status: ConnectionStatus, reason: string): Promise<ConnectionRow | null> {
    const { count } = await db.connection.updateMany({
      where: { id: row.id, version: row.version },
      data: { status, lastError: reason.slice(0, 500), refreshFailures: { increment: 1 }, version: { increment: 1 } },
    });
    return count === 1 ? findById(row.id) : null;
  }

  /** Forgets the tokens; the row stays as REVOKED so its history and health remain visible. */
  async function forget(row: ConnectionRow): Promise<ConnectionRow> {
    return db.connection.update({
      where: { id: row.id },
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
  }

  return { accessTokenOf, refreshTokenOf, listForOwner, find, findById, saveAuthorized, saveRefreshed, markRefreshFailed, forget };
}

export type ConnectionStore = ReturnType<typeof createConnectionStore>;

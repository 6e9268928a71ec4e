// Revocation at sign-out that really happens. The first attempt is made while the caller waits; when
// the provider fails transiently (5xx, 429, timeout, network) the tokens still to revoke are kept,
// encrypted, in PendingRevocation and retried in the background with exponential back-off that
// honours Retry-After, by whichever instance claims the row first (a lease; FOR UPDATE SKIP LOCKED
// on PostgreSQL), so a restart or a dead instance loses nothing. A definitive refusal, or running
// out of attempts or time, ends it: the row (and its tokens) is deleted, and the audit event
// connection.revocation_failed (a webhook event too) says so. A revoked row is deleted as well.
import type { Database, DatabaseProvider } from '../db/database.js';
import type { Logger } from '../logger.js';
import type { AuditTrail } from '../audit.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Config } from '../config.js';
import { decryptSecret, encryptSecret, secretContext, type Keyring } from '../crypto/token-cipher.js';
import { generateId } from '../crypto/opaque-token.js';
import { errorCauseFields } from '../error-cause.js';
import type { ProviderApps } from '../oauth/provider-apps.js';
import { revokeAtProvider, type RevocationOutcome, type RevocationTarget } from '../oauth/revocation.js';
import type { ServiceKey } from '../providers/types.js';

/** What a sign-out answer reports about the provider side. */
export type RevocationStatus = 'REVOKED' | 'PENDING' | 'NOT_SUPPORTED' | 'FAILED';

export type PendingRevocationRow = Awaited<ReturnType<Database['pendingRevocation']['findUniqueOrThrow']>>;

/** The longest wait between two attempts, whatever the back-off or Retry-After says. */
const MAX_DELAY_MS = 6 * 3600_000;
/** The exponential back-off stops doubling here. */
const MAX_BACKOFF_MS = 3600_000;
const BATCH_SIZE = 10;

export interface RevocationQueueOptions {
  maxAttempts: number;
  maxAgeSeconds: number;
  retryBaseMs: number;
  pollMs: number;
  /** Per provider call; a claim's lease covers two calls (refresh token, then access token) and a margin. */
  timeoutSeconds: number;
}

/** Delay before attempt `attempts + 1`: base × 2^(attempts-1) with ±20 % jitter, capped; a longer Retry-After wins. */
export function retryDelayMs(attempts: number, retryBaseMs: number, retryAfterSeconds: number | undefined): number {
  const backoff = Math.min(MAX_BACKOFF_MS, retryBaseMs * 2 ** Math.max(0, attempts - 1)) * (0.8 + Math.random() * 0.4);
  const providerAsked = retryAfterSeconds === undefined ? 0 : retryAfterSeconds * 1000;
  return Math.min(MAX_DELAY_MS, Math.max(backoff, providerAsked));
}

export function createRevocationQueue(
  deps: { db: Database; provider: DatabaseProvider; keyring: Keyring; apps: ProviderApps; audit: AuditTrail; logger: Logger; metrics: Metrics; instanceId: string },
  options: RevocationQueueOptions,
) {
  const { db, keyring, logger } = deps;
  const leaseMs = (options.timeoutSeconds * 2 + 10) * 1000;
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let cycle: Promise<unknown> | undefined;

  const encrypt = (id: string, column: 'accessToken' | 'refreshToken', value: string | undefined) =>
    value ? encryptSecret(keyring, value, secretContext('PendingRevocation', column, id)) : null;
  const decrypt = (id: string, column: 'accessToken' | 'refreshToken', value: string | null) =>
    value ? decryptSecret(keyring, value, secretContext('PendingRevocation', column, id)) : undefined;

  async function attempt(siteId: string, service: ServiceKey, target: RevocationTarget): Promise<RevocationOutcome> {
    const providerClient = await deps.apps.clientFor(siteId, service);
    if (!providerClient) return { result: 'refused', reason: 'no OAuth app is configured for the service any more', remaining: target };
    if (!providerClient.provider.revocation) return { result: 'not_supported', reason: `${providerClient.provider.friendlyServiceName} has no revocation endpoint` };
    return revokeAtProvider(providerClient.config, providerClient.provider, providerClient.endpoints, providerClient.app, target, options.timeoutSeconds);
  }

  async function giveUp(event: { siteId: string; service: string; connectionId: string }, reason: string, attempts: number): Promise<void> {
    deps.metrics.revocation(event.service, 'given_up');
    await deps.audit({ type: 'connection.revocation_failed', ...event, detail: { reason, attempts } });
  }

  /**
   * Revokes a connection's tokens at sign-out: once now, and on a transient failure queued for
   * retries. Never throws for the provider's sake; the caller forgets the tokens either way.
   */
  async function revokeAtSignOut(
    connection: { id: string; siteId: string; service: string },
    target: RevocationTarget,
    revocable: (service: ServiceKey) => Promise<boolean> = async () => true,
  ): Promise<{ status: RevocationStatus; reason?: string }> {
    const service = connection.service as ServiceKey;
    const event = { siteId: connection.siteId, service, connectionId: connection.id };
    if (!(await revocable(service))) {
      deps.metrics.revocation(service, 'not_supported');
      return { status: 'NOT_SUPPORTED', reason: 'the account is connected to another site as well; only forgotten here' };
    }
    let outcome: RevocationOutcome;
    try {
      outcome = await attempt(connection.siteId, service, target);
    } catch (error) {
      logger.warn('revocation attempt failed unexpectedly', { connectionId: connection.id, service, ...errorCauseFields(error) });
      outcome = { result: 'retry', reason: 'unexpected error', remaining: target };
    }
    switch (outcome.result) {
      case 'revoked':
        deps.metrics.revocation(service, 'revoked');
        return { status: 'REVOKED' };
      case 'not_supported':
        deps.metrics.revocation(service, 'not_supported');
        return { status: 'NOT_SUPPORTED', reason: outcome.reason };
      case 'refused':
        deps.metrics.revocation(service, 'refused');
        await giveUp(event, outcome.reason, 1);
        return { status: 'FAILED', reason: outcome.reason };
      case 'retry': {
        if (options.maxAttempts <= 1) {
          await giveUp(event, outcome.reason, 1);
          return { status: 'FAILED', reason: outcome.reason };
        }
        const id = generateId('rvk');
        await db.pendingRevocation.create({
          data: {
            id,
            ...event,
            accessToken: encrypt(id, 'accessToken', outcome.remaining.accessToken),
            refreshToken: encrypt(id, 'refreshToken', outcome.remaining.refreshToken),
            foreignUserId: target.foreignUserId ?? null,
            attempts: 1,
            nextAttemptAt: new Date(Date.now() + retryDelayMs(1, options.retryBaseMs, outcome.retryAfterSeconds)),
            lastError: outcome.reason,
          },
        });
        deps.metrics.revocation(service, 'pending');
        wake();
        return { status: 'PENDING', reason: outcome.reason };
      }
    }
  }

  const unleased = (now: Date) => ({ OR: [{ lockedUntil: null }, { lockedUntil: { lte: now } }] });

  /**
   * Leases up to BATCH_SIZE due rows for this claim; a row another instance holds (or is claiming) is
   * skipped. Each claim has its own owner id, so two drains of the same instance (the background loop
   * and `keys rotate` or a test) cannot both take a row the other just leased.
   */
  async function claimDue(): Promise<PendingRevocationRow[]> {
    const now = new Date();
    const claimedBy = `${deps.instanceId}/${generateId('claim')}`;
    const lease = { lockedUntil: new Date(now.getTime() + leaseMs), lockedBy: claimedBy };
    const due = await db.pendingRevocation.findMany({
      where: { nextAttemptAt: { lte: now }, ...unleased(now) },
      orderBy: { nextAttemptAt: 'asc' },
      take: BATCH_SIZE,
      select: { id: true },
    });
    if (due.length === 0) return [];
    // The conditional update is the claim: of two instances that read the same due row, one gets it.
    const claim = async (client: Pick<Database, 'pendingRevocation'>, ids: string[]) => {
      if (ids.length === 0) return [];
      await client.pendingRevocation.updateMany({ where: { id: { in: ids }, ...unleased(now) }, data: lease });
      return client.pendingRevocation.findMany({ where: { id: { in: ids }, lockedBy: claimedBy } });
    };
    const ids = due.map((row) => row.id);
    if (deps.provider !== 'postgresql') return claim(db, ids);
    // A row another instance is claiming at this moment is skipped, not waited for.
    return db.$transaction(async (tx) => {
      const locked = await tx.$queryRawUnsafe<Array<{ id: string }>>('SELECT "id" FROM "PendingRevocation" WHERE "id" = ANY($1::text[]) FOR UPDATE SKIP LOCKED', ids);
      return claim(tx, locked.map((row) => row.id));
    });
  }

  /** Where this claim still holds the row's lease. */
  const mine = (row: PendingRevocationRow) => ({ id: row.id, lockedBy: row.lockedBy });

  async function retryClaimed(row: PendingRevocationRow): Promise<void> {
    const event = { siteId: row.siteId, service: row.service, connectionId: row.connectionId };
    const attempts = row.attempts + 1;
    let outcome: RevocationOutcome;
    let unexpected = false;
    try {
      const target: RevocationTarget = {
        accessToken: decrypt(row.id, 'accessToken', row.accessToken),
        refreshToken: decrypt(row.id, 'refreshToken', row.refreshToken),
        foreignUserId: row.foreignUserId,
      };
      outcome = await attempt(row.siteId, row.service as ServiceKey, target);
    } catch (error) {
      // A key problem (the operator's to fix) or a database error: waits like a transient failure.
      logger.warn('revocation retry failed unexpectedly', { connectionId: row.connectionId, service: row.service, ...errorCauseFields(error) });
      outcome = { result: 'retry', reason: 'unexpected error (see the gateway log)', remaining: {} };
      unexpected = true;
    }
    if (outcome.result === 'revoked') {
      if ((await db.pendingRevocation.deleteMany({ where: mine(row) })).count === 0) return;
      deps.metrics.revocation(row.service, 'revoked');
      await deps.audit({ type: 'connection.revoked_at_provider', ...event, detail: { attempts } });
      return;
    }
    const expired = Date.now() - row.createdAt.getTime() >= options.maxAgeSeconds * 1000;
    // The provider (or the site's custom service) no longer offers revocation: nothing left to retry.
    if (outcome.result !== 'retry' || attempts >= options.maxAttempts || expired) {
      if ((await db.pendingRevocation.deleteMany({ where: mine(row) })).count === 0) return;
      if (outcome.result !== 'retry') deps.metrics.revocation(row.service, outcome.result);
      const why = outcome.result !== 'retry' ? outcome.reason : `${outcome.reason}; gave up after ${attempts} attempts${expired ? ` and ${options.maxAgeSeconds} s` : ''}`;
      await giveUp(event, why, attempts);
      return;
    }
    const { remaining } = outcome;
    // A token revoked in this attempt (the refresh token before a failing access-token call) is dropped.
    const revokedNow = unexpected
      ? {}
      : {
          ...(row.refreshToken && remaining.refreshToken === undefined ? { refreshToken: null } : {}),
          ...(row.accessToken && remaining.accessToken === undefined ? { accessToken: null } : {}),
        };
    deps.metrics.revocation(row.service, 'pending');
    await db.pendingRevocation.updateMany({
      where: mine(row),
      data: {
        ...revokedNow,
        attempts,
        lastError: outcome.reason,
        nextAttemptAt: new Date(Date.now() + retryDelayMs(attempts, options.retryBaseMs, outcome.retryAfterSeconds)),
        lockedUntil: null,
        lockedBy: null,
      },
    });
  }

  /** Retries every due row this instance can claim; resolves to the number of rows it handled. */
  async function drain(): Promise<number> {
    let handled = 0;
    for (;;) {
      const claimed = await claimDue();
      if (claimed.length === 0) return handled;
      await Promise.all(claimed.map((row) => retryClaimed(row)));
      handled += claimed.length;
    }
  }

  /** How long to sleep: until the earliest retry, at most the poll interval. */
  async function untilNextDue(): Promise<number> {
    const next = await db.pendingRevocation.findFirst({ orderBy: { nextAttemptAt: 'asc' }, select: { nextAttemptAt: true } });
    if (!next) return options.pollMs;
    return Math.min(options.pollMs, Math.max(10, next.nextAttemptAt.getTime() - Date.now()));
  }

  function schedule(delayMs: number): void {
    if (!running) return;
    clearTimeout(timer);
    timer = setTimeout(() => void tick(), delayMs);
    timer.unref();
  }

  async function tick(): Promise<void> {
    if (!running || cycle) return;
    let next = options.pollMs;
    cycle = (async () => {
      try {
        await drain();
        next = await untilNextDue();
      } catch (error) {
        if (running) logger.warn('revocation queue cycle failed', errorCauseFields(error));
      }
    })();
    await cycle;
    cycle = undefined;
    schedule(next);
  }

  /** A row was just enqueued here: look again when it falls due rather than at the next poll. */
  function wake(): void {
    if (running && !cycle) void untilNextDue().then(schedule, () => {});
  }

  return {
    revokeAtSignOut,
    drain,
    start() {
      if (running) return;
      running = true;
      schedule(0);
    },
    async stop() {
      running = false;
      clearTimeout(timer);
      await cycle;
    },
  };
}

export type RevocationQueue = ReturnType<typeof createRevocationQueue>;

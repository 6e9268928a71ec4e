// Sends enqueued webhook deliveries. One worker runs per gateway instance; a delivery is claimed
// with a lease (a conditional update of `lockedUntil`), so two instances never send the same
// delivery at once, and a lease left by a crashed instance simply runs out.
import { Agent, fetch } from 'undici';
import type { Database } from '../db/database.js';
import type { Logger } from '../logger.js';
import { decryptSecret, secretContext, type Keyring } from '../crypto/token-cipher.js';
import { signWebhook } from './verify.js';
import { BlockedAddressError, checkWebhookUrl, guardedLookup, type WebhookUrlPolicy } from './url-policy.js';
import type { Metrics } from '../metrics/metrics.js';

export type DeliveryRow = Awaited<ReturnType<Database['webhookDelivery']['findUniqueOrThrow']>>;

/** Retry delays as multiples of the base: 10 s, 1 min, 5 min, 30 min, 2 h, 6 h with the default base. */
export const RETRY_MULTIPLIERS = [1, 6, 30, 180, 720, 2160] as const;
export const DELIVERY_TIMEOUT_MS = 10_000;
const LEASE_MS = DELIVERY_TIMEOUT_MS + 20_000;
const BATCH_SIZE = 10;
const MIN_IDLE_MS = 10;
const USER_AGENT = 'Latchkey-Webhooks/1 (+https://www.standardwebhooks.com)';

export interface DeliveryWorkerOptions {
  db: Database;
  keyring: Keyring;
  logger: Logger;
  metrics?: Metrics;
  policy: WebhookUrlPolicy;
  retryBaseMs: number;
  pollMs: number;
  timeoutMs?: number;
  /** When an endpoint is disabled: failed attempts in a row (0: never by count) or ms of failing (0: never by time). */
  autoDisable?: { afterFailures: number; afterMs: number };
  /** Called once, by the instance that disabled the endpoint. */
  onEndpointDisabled?: (endpoint: DisabledEndpoint) => Promise<void>;
}

export interface DisabledEndpoint {
  id: string;
  siteId: string;
  url: string;
  reason: string;
  consecutiveFailures: number;
  failingSince: Date;
  disabledAt: Date;
}

/** The reason an endpoint with this run of failures is disabled now, or null while it may keep trying. */
export function disableReason(
  failures: { consecutiveFailures: number; failingSince: Date | null },
  rule: { afterFailures: number; afterMs: number },
  lastError: string | null,
  now: Date,
): string | null {
  const since = failures.failingSince ?? now;
  const byCount = rule.afterFailures > 0 && failures.consecutiveFailures >= rule.afterFailures;
  const byTime = rule.afterMs > 0 && now.getTime() - since.getTime() >= rule.afterMs;
  if (!byCount && !byTime) return null;
  return (
    `${failures.consecutiveFailures} delivery attempts in a row failed since ${since.toISOString()}` +
    `${lastError ? ` (last: ${lastError})` : ''}; fix the receiver, then re-enable the endpoint with enableWebhookEndpoint.`
  );
}

/** Every signature a delivery carries: the current secret's, then the previous one's during a rotation's overlap. */
export function signaturesOf(secrets: readonly string[], id: string, timestamp: number, body: string): string {
  return secrets.map((secret) => signWebhook(secret, id, timestamp, body)).join(' ');
}

interface Outcome {
  ok: boolean;
  statusCode: number | null;
  error: string | null;
  /** Retrying cannot help (the URL is no longer allowed). */
  permanent?: boolean;
  /** Not sent at all (the endpoint is gone or disabled): says nothing about the receiver. */
  skipped?: boolean;
}

/** A short, secret-free description of why an attempt failed, for the delivery log. */
function describeFailure(error: unknown, timedOutAfterMs: number | null): Outcome {
  if (timedOutAfterMs !== null) return { ok: false, statusCode: null, error: `no answer within ${timedOutAfterMs / 1000} s (timeout)` };
  let cause: unknown = error;
  for (let depth = 0; depth < 5 && cause instanceof Error; depth += 1) {
    if (cause instanceof BlockedAddressError) return { ok: false, statusCode: null, error: `blocked: ${cause.message}`, permanent: false };
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z_]+$/.test(code)) return { ok: false, statusCode: null, error: `connection failed (${code})` };
    cause = cause.cause;
  }
  return { ok: false, statusCode: null, error: 'connection failed' };
}

const unlockedAt = (now: Date) => ({ OR: [{ lockedUntil: null }, { lockedUntil: { lt: now } }] });

/** Pending deliveries whose time has come and that no instance holds a lease on. */
export function findDueDeliveries(db: Database, now: Date, limit: number): Promise<DeliveryRow[]> {
  return db.webhookDelivery.findMany({
    where: { status: 'PENDING', nextAttemptAt: { lte: now }, ...unlockedAt(now) },
    orderBy: { nextAttemptAt: 'asc' },
    take: limit,
  });
}

/**
 * Takes a lease on each delivery that is still unleased. The update is conditional, so of two
 * instances that read the same due delivery, exactly one gets it.
 */
export async function claimDeliveries(db: Database, due: readonly DeliveryRow[], now: Date, lease: Date): Promise<DeliveryRow[]> {
  const claimed: DeliveryRow[] = [];
  for (const delivery of due) {
    const { count } = await db.webhookDelivery.updateMany({
      where: { id: delivery.id, status: 'PENDING', ...unlockedAt(now) },
      data: { lockedUntil: lease },
    });
    if (count === 1) claimed.push(delivery);
  }
  return claimed;
}

export function createDeliveryWorker(options: DeliveryWorkerOptions) {
  const { db, keyring, logger, policy } = options;
  const timeoutMs = options.timeoutMs ?? DELIVERY_TIMEOUT_MS;
  const newAgent = () => new Agent({ connect: { lookup: guardedLookup(policy), timeout: timeoutMs } });
  let agent = newAgent();
  let running = false;
  let timer: NodeJS.Timeout | undefined;
  let cycle: Promise<void> | undefined;
  let again = false;
  let stopping = new AbortController();

  function schedule(delayMs: number): void {
    if (!running) return;
    clearTimeout(timer);
    timer = setTimeout(() => void tick(), Math.max(0, delayMs));
    timer.unref();
  }

  async function tick(): Promise<void> {
    if (!running) return;
    if (cycle) {
      again = true;
      return;
    }
    let next = options.pollMs;
    cycle = (async () => {
      try {
        const busy = await runOnce();
        next = busy ? 0 : await untilNextDue();
      } catch (error) {
        if (running) logger.warn('webhook delivery cycle failed', { reason: error instanceof Error ? error.name : 'unknown' });
      }
    })();
    await cycle;
    cycle = undefined;
    if (again) {
      again = false;
      next = 0;
    }
    schedule(next);
  }

  /** How long to sleep: until the earliest unclaimed retry, at most the poll interval. */
  async function untilNextDue(): Promise<number> {
    const now = Date.now();
    const next = await db.webhookDelivery.findFirst({
      where: { status: 'PENDING', nextAttemptAt: { not: null }, ...unlockedAt(new Date(now)) },
      orderBy: { nextAttemptAt: 'asc' },
      select: { nextAttemptAt: true },
    });
    if (!next) return options.pollMs;
    const due = next.nextAttemptAt!.getTime();
    return Math.min(options.pollMs, Math.max(MIN_IDLE_MS, due - now));
  }

  /** Claims and sends the due deliveries; true when there may be more right away. */
  async function runOnce(): Promise<boolean> {
    const now = new Date();
    const due = await findDueDeliveries(db, now, BATCH_SIZE);
    const lease = new Date(now.getTime() + LEASE_MS);
    const claimed = await claimDeliveries(db, due, now, lease);
    await Promise.all(claimed.map((delivery) => deliverClaimed(delivery, lease)));
    return due.length === BATCH_SIZE;
  }

  async function attempt(delivery: DeliveryRow): Promise<Outcome> {
    const endpoint = await db.webhookEndpoint.findUnique({ where: { id: delivery.endpointId } });
    if (!endpoint || !endpoint.enabled) return { ok: false, statusCode: null, error: 'the endpoint is disabled', permanent: true, skipped: true };
    let url: URL;
    try {
      url = checkWebhookUrl(endpoint.url, policy);
    } catch (error) {
      return { ok: false, statusCode: null, error: error instanceof Error ? error.message : 'the url is not allowed', permanent: true };
    }
    const secrets: string[] = [];
    try {
      secrets.push(decryptSecret(keyring, endpoint.secret, secretContext('WebhookEndpoint', 'secret', endpoint.id)));
      if (endpoint.previousSecret && endpoint.previousSecretExpiresAt && endpoint.previousSecretExpiresAt.getTime() > Date.now()) {
        secrets.push(decryptSecret(keyring, endpoint.previousSecret, secretContext('WebhookEndpoint', 'previousSecret', endpoint.id)));
      }
    } catch {
      // A key problem is the operator's to fix: the delivery waits on the normal retry schedule
      // instead of being picked up again at once (which spun the worker).
      return { ok: false, statusCode: null, error: 'KEY_UNAVAILABLE: the endpoint signing secret cannot be decrypted with the configured keys' };
    }
    let messageId = delivery.id;
    try {
      const parsed = JSON.parse(delivery.payload) as { id?: unknown };
      if (typeof parsed.id === 'string') messageId = parsed.id;
    } catch {
      // the payload is always written as JSON; fall back to the delivery id
    }
    const timestamp = Math.floor(Date.now() / 1000);
    const timeout = AbortSignal.timeout(timeoutMs);
    try {
      const response = await fetch(url, {
        method: 'POST',
        body: delivery.payload,
        redirect: 'manual',
        signal: AbortSignal.any([timeout, stopping.signal]),
        dispatcher: agent,
        headers: {
          'content-type': 'application/json',
          'user-agent': USER_AGENT,
          'webhook-id': messageId,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signaturesOf(secrets, messageId, timestamp, delivery.payload),
        },
      });
      await response.body?.cancel().catch(() => {});
      if (response.status >= 200 && response.status < 300) return { ok: true, statusCode: response.status, error: null };
      const redirect = response.status >= 300 && response.status < 400;
      return { ok: false, statusCode: response.status, error: `HTTP ${response.status}${redirect ? ' (redirects are not followed)' : ''}` };
    } catch (error) {
      if (stopping.signal.aborted) throw error;
      return describeFailure(error, timeout.aborted ? timeoutMs : null);
    }
  }

  async function deliverClaimed(delivery: DeliveryRow, lease: Date): Promise<void> {
    let outcome: Outcome;
    try {
      outcome = await attempt(delivery);
    } catch (error) {
      // Stopping (or an unexpected error): give the delivery back without counting an attempt.
      await db.webhookDelivery.updateMany({ where: { id: delivery.id, lockedUntil: lease }, data: { lockedUntil: null } }).catch(() => {});
      if (!stopping.signal.aborted) logger.warn('webhook delivery failed unexpectedly', { deliveryId: delivery.id, reason: error instanceof Error ? error.name : 'unknown' });
      return;
    }
    const attempts = delivery.attempts + 1;
    const now = new Date();
    const retryIn = outcome.ok || outcome.permanent ? undefined : RETRY_MULTIPLIERS[attempts - 1];
    const status = outcome.ok ? 'DELIVERED' : retryIn === undefined ? 'FAILED' : 'PENDING';
    await db.webhookDelivery.updateMany({
      where: { id: delivery.id, lockedUntil: lease },
      data: {
        status,
        attempts,
        lastStatusCode: outcome.statusCode,
        lastError: outcome.error,
        lockedUntil: null,
        nextAttemptAt: retryIn === undefined ? null : new Date(now.getTime() + retryIn * options.retryBaseMs),
        ...(outcome.ok ? { deliveredAt: now } : {}),
      },
    });
    if (!outcome.skipped) await recordEndpointHealth(delivery.endpointId, outcome, now);
    options.metrics?.webhookDelivery(outcome.ok ? 'delivered' : status === 'FAILED' ? 'failed' : 'retry', (now.getTime() - delivery.createdAt.getTime()) / 1000);
    logger.info(outcome.ok ? 'webhook delivered' : 'webhook attempt failed', {
      deliveryId: delivery.id,
      endpointId: delivery.endpointId,
      event: delivery.event,
      attempts,
      status,
      statusCode: outcome.statusCode,
    });
  }

  /** Counts the endpoint's run of failures (a success ends it) and disables it when the run is too long. */
  async function recordEndpointHealth(endpointId: string, outcome: Outcome, now: Date): Promise<void> {
    try {
      if (outcome.ok) {
        await db.webhookEndpoint.updateMany({ where: { id: endpointId, consecutiveFailures: { gt: 0 } }, data: { consecutiveFailures: 0, failingSince: null } });
        return;
      }
      await db.webhookEndpoint.updateMany({ where: { id: endpointId, failingSince: null }, data: { failingSince: now } });
      const endpoint = await db.webhookEndpoint.update({ where: { id: endpointId }, data: { consecutiveFailures: { increment: 1 } } });
      const rule = options.autoDisable;
      const reason = rule && endpoint.enabled ? disableReason(endpoint, rule, outcome.error, now) : null;
      if (!reason) return;
      // Conditional, so of two instances crossing the threshold together exactly one reports it.
      const { count } = await db.webhookEndpoint.updateMany({
        where: { id: endpointId, enabled: true },
        data: { enabled: false, disabledAt: now, disabledReason: reason },
      });
      if (count !== 1) return;
      await db.webhookDelivery.updateMany({
        where: { endpointId, status: 'PENDING', OR: [{ lockedUntil: null }, { lockedUntil: { lt: now } }] },
        data: { status: 'FAILED', nextAttemptAt: null, lastError: 'the endpoint was disabled after failing repeatedly' },
      });
      logger.warn('webhook endpoint disabled', { endpointId, siteId: endpoint.siteId, consecutiveFailures: endpoint.consecutiveFailures });
      await options.onEndpointDisabled?.({
        id: endpoint.id,
        siteId: endpoint.siteId,
        url: endpoint.url,
        reason,
        consecutiveFailures: endpoint.consecutiveFailures,
        failingSince: endpoint.failingSince ?? now,
        disabledAt: now,
      });
    } catch (error) {
      logger.warn('webhook endpoint health not recorded', { endpointId, reason: error instanceof Error ? error.name : 'unknown' });
    }
  }

  return {
    start(): void {
      if (running) return;
      running = true;
      stopping = new AbortController();
      if (agent.closed || agent.destroyed) agent = newAgent();
      schedule(0);
    },
    /** Looks for due deliveries now (after an enqueue in this instance). */
    wake(): void {
      schedule(0);
    },
    /** Stops polling, aborts attempts in flight (their deliveries are retried later) and waits. */
    async stop(): Promise<void> {
      running = false;
      clearTimeout(timer);
      stopping.abort();
      await cycle;
      await agent.close().catch(() => {});
    },
  };
}

export type DeliveryWorker = ReturnType<typeof createDeliveryWorker>;

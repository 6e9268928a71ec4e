// Deletes records that have served their purpose, so the database does not grow without bound:
// finished authorization attempts, old audit events and settled webhook deliveries.
import type { Database } from './db/database.js';
import type { Logger } from './logger.js';
import { errorCauseFields } from './error-cause.js';

export interface RetentionPolicy {
  /** Attempts are kept this long after they expired (long enough to answer a late authAttempt poll). */
  attemptDays: number;
  auditDays: number;
  /** Delivered or failed webhook deliveries; pending ones are never deleted. */
  webhookDeliveryDays: number;
}

export const defaultRetention: RetentionPolicy = { attemptDays: 1, auditDays: 90, webhookDeliveryDays: 30 };

const DAY_MS = 24 * 3600 * 1000;

export async function pruneOldRecords(db: Database, policy: RetentionPolicy, now = new Date()): Promise<{ attempts: number; auditEvents: number; webhookDeliveries: number }> {
  const before = (days: number) => new Date(now.getTime() - days * DAY_MS);
  // End-user attempts nobody confirmed in time: their held tokens are erased at once.
  await db.authAttempt.updateMany({ where: { status: 'AWAITING_VERIFICATION', expiresAt: { lte: now } }, data: { status: 'EXPIRED', heldTokens: null } });
  const [attempts, auditEvents, webhookDeliveries] = await Promise.all([
    db.authAttempt.deleteMany({ where: { expiresAt: { lt: before(policy.attemptDays) } } }),
    db.auditEvent.deleteMany({ where: { createdAt: { lt: before(policy.auditDays) } } }),
    db.webhookDelivery.deleteMany({ where: { status: { in: ['DELIVERED', 'FAILED'] }, createdAt: { lt: before(policy.webhookDeliveryDays) } } }),
  ]);
  return { attempts: attempts.count, auditEvents: auditEvents.count, webhookDeliveries: webhookDeliveries.count };
}

/** Prunes at start and then every `intervalMs`; safe on every instance (deletes are idempotent). */
export function startRetention(db: Database, logger: Logger, policy: RetentionPolicy, intervalMs = 3600 * 1000): () => void {
  const run = () =>
    pruneOldRecords(db, policy)
      .then((deleted) => {
        if (deleted.attempts + deleted.auditEvents + deleted.webhookDeliveries > 0) logger.info('pruned old records', deleted);
      })
      .catch((error: unknown) => logger.warn('pruning old records failed', errorCauseFields(error)));
  void run();
  const timer = setInterval(run, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

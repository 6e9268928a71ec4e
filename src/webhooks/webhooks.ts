// Webhook endpoints of a site, the delivery log, and the publisher that turns audit events into
// enqueued deliveries. Enqueueing is a database write in the same flow as the event; the HTTP call
// happens later, in the worker, so no request waits on a receiver.
import { randomBytes } from 'node:crypto';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import type { Logger } from '../logger.js';
import type { AuditEventInput, AuditTrail } from '../audit.js';
import { decryptSecret, encryptSecret, secretContext, type Keyring } from '../crypto/token-cipher.js';
import { generateId } from '../crypto/opaque-token.js';
import { badUserInput, LatchkeyError, notFound } from '../errors.js';
import { eventsOf, webhookEventOf, webhookEventTypes, webhookPayload, type WebhookEventType } from './events.js';
import { checkWebhookUrl } from './url-policy.js';
import { createDeliveryWorker } from './worker.js';
import type { Metrics } from '../metrics/metrics.js';

export type WebhookEndpointRow = Awaited<ReturnType<Database['webhookEndpoint']['findUniqueOrThrow']>>;
export type WebhookDeliveryRow = Awaited<ReturnType<Database['webhookDelivery']['findUniqueOrThrow']>>;

const MAX_ENDPOINTS_PER_SITE = 20;
const MAX_LISTED_DELIVERIES = 100;
/** Default and longest time a rotated-out secret keeps signing deliveries beside the new one. */
export const DEFAULT_ROTATION_OVERLAP_SECONDS = 24 * 3600;
const MAX_ROTATION_OVERLAP_SECONDS = 7 * 24 * 3600;
export const DEFAULT_LISTED_DELIVERIES = 20;

export interface CreateWebhookEndpointInput {
  url: string;
  events?: readonly WebhookEventType[] | null | undefined;
}

/** Standard Webhooks secret: "whsec_" + base64 of 32 random bytes (the HMAC key). */
const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

export function createWebhooks(deps: { config: Pick<Config, 'webhooks'>; db: Database; keyring: Keyring; logger: Logger; metrics?: Metrics }) {
  const { db, keyring, logger } = deps;
  const policy = deps.config.webhooks;
  // The audit trail wrapped by withEvents, so the worker's own events are recorded and published too.
  let recordEvent: AuditTrail | undefined;
  const worker = createDeliveryWorker({
    autoDisable: { afterFailures: policy.disableAfterFailures, afterMs: policy.disableAfterMs },
    onEndpointDisabled: async (endpoint) => {
      deps.metrics?.webhookEndpointDisabled();
      await recordEvent?.({
        type: 'webhook.endpoint_disabled',
        siteId: endpoint.siteId,
        detail: {
          endpointId: endpoint.id,
          url: endpoint.url,
          reason: endpoint.reason,
          consecutiveFailures: endpoint.consecutiveFailures,
          failingSince: endpoint.failingSince.toISOString(),
          disabledAt: endpoint.disabledAt.toISOString(),
        },
      });
    },
    db,
    keyring,
    logger,
    metrics: deps.metrics,
    policy,
    retryBaseMs: deps.config.webhooks.retryBaseMs,
    pollMs: deps.config.webhooks.pollMs,
  });

  async function createEndpoint(siteId: string, input: CreateWebhookEndpointInput) {
    const url = checkWebhookUrl(input.url, policy);
    const events = input.events ? [...new Set(input.events)] : [...webhookEventTypes];
    if (events.length === 0) throw badUserInput('events must name at least one event; omit it to receive every event.', 'events');
    if ((await db.webhookEndpoint.count({ where: { siteId } })) >= MAX_ENDPOINTS_PER_SITE) {
      throw badUserInput(`A site can have at most ${MAX_ENDPOINTS_PER_SITE} webhook endpoints: delete one with deleteWebhookEndpoint first.`);
    }
    const id = generateId('whe');
    const secret = newSecret();
    const endpoint = await db.webhookEndpoint.create({
      data: { id, siteId, url: url.href, events, secret: encryptSecret(keyring, secret, secretContext('WebhookEndpoint', 'secret', id)) },
    });
    return { endpoint, secret };
  }

  function listEndpoints(siteId: string): Promise<WebhookEndpointRow[]> {
    return db.webhookEndpoint.findMany({ where: { siteId }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
  }

  async function findEndpoint(siteId: string, id: string): Promise<WebhookEndpointRow> {
    const endpoint = await db.webhookEndpoint.findUnique({ where: { id } });
    if (!endpoint || endpoint.siteId !== siteId) {
      throw notFound(`No webhook endpoint with id ${JSON.stringify(id.slice(0, 100))} belongs to this site: list them with webhookEndpoints.`);
    }
    return endpoint;
  }

  /** Deletes an endpoint and its delivery log; returns what was deleted. */
  async function deleteEndpoint(siteId: string, id: string): Promise<WebhookEndpointRow> {
    const endpoint = await findEndpoint(siteId, id);
    await db.webhookEndpoint.deleteMany({ where: { id: endpoint.id, siteId } });
    return endpoint;
  }

  /**
   * Replaces the endpoint's signing secret. For `overlapSeconds` the old secret keeps signing too
   * (a second signature in webhook-signature), so receivers can switch secrets without a gap.
   */
  async function rotateSecret(siteId: string, id: string, overlapSeconds = DEFAULT_ROTATION_OVERLAP_SECONDS) {
    if (!Number.isInteger(overlapSeconds) || overlapSeconds < 0 || overlapSeconds > MAX_ROTATION_OVERLAP_SECONDS) {
      throw badUserInput(
        `overlapSeconds must be a whole number from 0 (stop signing with the old secret now) to ${MAX_ROTATION_OVERLAP_SECONDS} (7 days).`,
        'overlapSeconds',
      );
    }
    const endpoint = await findEndpoint(siteId, id);
    const secret = newSecret();
    const now = new Date();
    let previous: string | null = null;
    if (overlapSeconds > 0) {
      try {
        const current = decryptSecret(keyring, endpoint.secret, secretContext('WebhookEndpoint', 'secret', endpoint.id));
        previous = encryptSecret(keyring, current, secretContext('WebhookEndpoint', 'previousSecret', endpoint.id));
      } catch {
        throw new LatchkeyError('KEY_UNAVAILABLE', 'The current webhook secret cannot be decrypted with the configured keys, so it cannot keep signing: rotate with overlapSeconds: 0, or fix LATCHKEY_ENCRYPTION_KEY / LATCHKEY_PREVIOUS_ENCRYPTION_KEYS.');
      }
    }
    // Conditional on the secret read above: of two rotations at once, the second fails instead of dropping the first's secret.
    const { count } = await db.webhookEndpoint.updateMany({
      where: { id: endpoint.id, siteId, secret: endpoint.secret },
      data: {
        secret: encryptSecret(keyring, secret, secretContext('WebhookEndpoint', 'secret', endpoint.id)),
        previousSecret: previous,
        previousSecretExpiresAt: previous ? new Date(now.getTime() + overlapSeconds * 1000) : null,
      },
    });
    if (count !== 1) throw badUserInput('The endpoint was changed at the same time (another rotation?): list it with webhookEndpoints and try again.');
    await recordEvent?.({ type: 'webhook.secret_rotated', siteId, detail: { endpointId: endpoint.id, overlapSeconds } });
    return { endpoint: await db.webhookEndpoint.findUniqueOrThrow({ where: { id: endpoint.id } }), secret };
  }

  /** Turns an endpoint back on (after it was disabled for failing) with a fresh count of failures. */
  async function enableEndpoint(siteId: string, id: string): Promise<WebhookEndpointRow> {
    const endpoint = await findEndpoint(siteId, id);
    if (endpoint.enabled) return endpoint;
    await db.webhookEndpoint.updateMany({
      where: { id: endpoint.id, siteId },
      data: { enabled: true, disabledAt: null, disabledReason: null, consecutiveFailures: 0, failingSince: null },
    });
    await recordEvent?.({ type: 'webhook.endpoint_enabled', siteId, detail: { endpointId: endpoint.id } });
    return db.webhookEndpoint.findUniqueOrThrow({ where: { id: endpoint.id } });
  }

  async function listDeliveries(siteId: string, endpointId: string, first = DEFAULT_LISTED_DELIVERIES): Promise<WebhookDeliveryRow[]> {
    if (!Number.isInteger(first) || first < 1 || first > MAX_LISTED_DELIVERIES) {
      throw badUserInput(`first must be a whole number from 1 to ${MAX_LISTED_DELIVERIES}.`, 'first');
    }
    const endpoint = await findEndpoint(siteId, endpointId);
    return db.webhookDelivery.findMany({
      where: { endpointId: endpoint.id },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: first,
    });
  }

  /** Sends a delivery's message again as a new delivery (same body and webhook-id, new signature). */
  async function redeliver(siteId: string, deliveryId: string): Promise<WebhookDeliveryRow> {
    const original = await db.webhookDelivery.findUnique({ where: { id: deliveryId } });
    if (!original || original.siteId !== siteId) {
      throw notFound(`No webhook delivery with id ${JSON.stringify(deliveryId.slice(0, 100))} belongs to this site: list them with webhookDeliveries.`);
    }
    const endpoint = await db.webhookEndpoint.findUnique({ where: { id: original.endpointId }, select: { enabled: true } });
    if (!endpoint?.enabled) {
      throw badUserInput('The endpoint of this delivery is disabled: re-enable it with enableWebhookEndpoint, then redeliver.', 'deliveryId');
    }
    const copy = await db.webhookDelivery.create({
      data: { id: generateId('whd'), endpointId: original.endpointId, siteId, event: original.event, payload: original.payload, nextAttemptAt: new Date() },
    });
    worker.wake();
    return copy;
  }

  /** Enqueues one delivery per endpoint of the site that subscribed to the event. */
  async function publish(event: AuditEventInput): Promise<void> {
    const type = webhookEventOf(event);
    if (!type || !event.siteId) return;
    const endpoints = (await db.webhookEndpoint.findMany({ where: { siteId: event.siteId, enabled: true }, select: { id: true, events: true } })).filter(
      (endpoint) => eventsOf(endpoint).includes(type),
    );
    if (endpoints.length === 0) return;
    const now = new Date();
    // Whose connection it is: read from the row, so every event names its owner and account.
    const row = event.connectionId
      ? await db.connection.findUnique({ where: { id: event.connectionId }, select: { ownerType: true, ownerId: true, accountKey: true } })
      : null;
    const owner = { endUser: row?.ownerType === 'END_USER' ? row.ownerId : null, account: row?.accountKey ?? null };
    const payload = JSON.stringify(webhookPayload(type, event, now, owner));
    await db.webhookDelivery.createMany({
      data: endpoints.map((endpoint) => ({ id: generateId('whd'), endpointId: endpoint.id, siteId: event.siteId!, event: type, payload, nextAttemptAt: now })),
    });
    worker.wake();
  }

  /** The audit trail, publishing webhook events after recording; a failed enqueue never fails the event's flow. */
  function withEvents(audit: AuditTrail): AuditTrail {
    recordEvent = async (event) => {
      await audit(event);
      try {
        await publish(event);
      } catch (error) {
        logger.warn('webhook event not enqueued', { type: event.type, siteId: event.siteId, reason: error instanceof Error ? error.name : 'unknown' });
      }
    };
    return recordEvent;
  }

  return { createEndpoint, listEndpoints, deleteEndpoint, rotateSecret, enableEndpoint, listDeliveries, redeliver, publish, withEvents, worker };
}

export type Webhooks = ReturnType<typeof createWebhooks>;

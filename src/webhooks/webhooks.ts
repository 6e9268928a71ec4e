// Webhook endpoints of a site, the delivery log, and the publisher that turns audit events into
// enqueued deliveries. Enqueueing is a database write in the same flow as the event; the HTTP call
// happens later, in the worker, so no request waits on a receiver.
import { randomBytes } from 'node:crypto';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import type { Logger } from '../logger.js';
import type { AuditEventInput, AuditTrail } from '../audit.js';
import { encryptSecret, secretContext, type Keyring } from '../crypto/token-cipher.js';
import { generateId } from '../crypto/opaque-token.js';
import { badUserInput, notFound } from '../errors.js';
import { eventsOf, webhookEventOf, webhookEventTypes, webhookPayload, type WebhookEventType } from './events.js';
import { checkWebhookUrl } from './url-policy.js';
import { createDeliveryWorker } from './worker.js';
import type { Metrics } from '../metrics/metrics.js';

export type WebhookEndpointRow = Awaited<ReturnType<Database['webhookEndpoint']['findUniqueOrThrow']>>;
export type WebhookDeliveryRow = Awaited<ReturnType<Database['webhookDelivery']['findUniqueOrThrow']>>;

const MAX_ENDPOINTS_PER_SITE = 20;
const MAX_LISTED_DELIVERIES = 100;
export const DEFAULT_LISTED_DELIVERIES = 20;

export interface CreateWebhookEndpointInput {
  url: string;
  events?: readonly WebhookEventType[] | null | undefined;
}

export function createWebhooks(deps: { config: Pick<Config, 'webhooks'>; db: Database; keyring: Keyring; logger: Logger; metrics?: Metrics }) {
  const { db, keyring, logger } = deps;
  const policy = deps.config.webhooks;
  const worker = createDeliveryWorker({
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
    // Standard Webhooks secret: "whsec_" + base64 of 32 random bytes (the HMAC key).
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
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
    return async (event) => {
      await audit(event);
      try {
        await publish(event);
      } catch (error) {
        logger.warn('webhook event not enqueued', { type: event.type, siteId: event.siteId, reason: error instanceof Error ? error.name : 'unknown' });
      }
    };
  }

  return { createEndpoint, listEndpoints, deleteEndpoint, listDeliveries, redeliver, publish, withEvents, worker };
}

export type Webhooks = ReturnType<typeof createWebhooks>;

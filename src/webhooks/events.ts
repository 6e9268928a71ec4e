// The webhook events and how they come out of the audit trail: every auth event is recorded there,
// so wrapping the audit function sees each of them exactly where it happens.
import type { AuditEventInput } from '../audit.js';
import { generateId } from '../crypto/opaque-token.js';

export const webhookEventTypes = [
  'connection.created',
  'connection.refreshed_after_failure',
  'connection.needs_reauth',
  'connection.revoked',
  'connection.revocation_failed',
  'webhook.endpoint_disabled',
] as const;

export type WebhookEventType = (typeof webhookEventTypes)[number];

export function isWebhookEventType(value: unknown): value is WebhookEventType {
  return typeof value === 'string' && (webhookEventTypes as readonly string[]).includes(value);
}

/** The webhook event an audit event stands for, if any. */
export function webhookEventOf(event: AuditEventInput): WebhookEventType | null {
  switch (event.type) {
    case 'auth.completed':
      return 'connection.created';
    case 'token.refreshed':
      return Number(event.detail?.previousFailures ?? 0) > 0 ? 'connection.refreshed_after_failure' : null;
    case 'connection.needs_reauth':
      return 'connection.needs_reauth';
    case 'connection.revoked':
      return 'connection.revoked';
    case 'connection.revocation_failed':
      return 'connection.revocation_failed';
    case 'webhook.endpoint_disabled':
      return 'webhook.endpoint_disabled';
    default:
      return null;
  }
}

export interface WebhookPayload {
  /** The message id, also sent as webhook-id: the same for every endpoint, retry and redelivery. */
  id: string;
  type: WebhookEventType;
  timestamp: string;
  data: Record<string, unknown>;
}

/** The body sent for an event. Audit details are non-secret by construction (ids, scopes, error codes). */
export function webhookPayload(
  type: WebhookEventType,
  event: AuditEventInput,
  now = new Date(),
  connection: { endUser: string | null; account: string | null } = { endUser: null, account: null },
): WebhookPayload {
  if (type.startsWith('webhook.')) {
    return { id: generateId('msg'), type, timestamp: now.toISOString(), data: { siteId: event.siteId ?? null, ...event.detail } };
  }
  return {
    id: generateId('msg'),
    type,
    timestamp: now.toISOString(),
    data: {
      siteId: event.siteId ?? null,
      service: event.service ?? null,
      connectionId: event.connectionId ?? null,
      endUser: connection.endUser,
      account: connection.account,
      ...(event.attemptId ? { attemptId: event.attemptId } : {}),
      ...event.detail,
    },
  };
}

export function eventsOf(endpoint: { events: unknown }): WebhookEventType[] {
  return Array.isArray(endpoint.events) ? endpoint.events.filter(isWebhookEventType) : [];
}

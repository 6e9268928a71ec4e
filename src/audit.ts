// The audit trail of auth events. Details are non-secret by construction: ids, scopes, error codes.
import type { Database } from './db/database.js';
import { generateId } from './crypto/opaque-token.js';
import type { Logger } from './logger.js';

export type AuditEventType =
  | 'auth.started'
  | 'auth.completed'
  | 'auth.awaiting_verification'
  | 'auth.failed'
  | 'token.refreshed'
  | 'token.refresh_failed'
  | 'token.rejected'
  | 'connection.needs_reauth'
  | 'connection.revoked'
  | 'connection.revoked_at_provider'
  | 'connection.revocation_failed'
  | 'site.created'
  | 'credentials.updated'
  | 'custom_service.defined'
  | 'custom_service.removed'
  | 'webhook.secret_rotated'
  | 'webhook.endpoint_disabled'
  | 'webhook.endpoint_enabled'
  | 'mcp.sign_in_approved'
  | 'mcp.sign_in_denied'
  | 'mcp.sign_in_revoked';

export interface AuditEventInput {
  type: AuditEventType;
  siteId?: string | undefined;
  service?: string | undefined;
  connectionId?: string | undefined;
  attemptId?: string | undefined;
  detail?: Record<string, string | number | boolean | null | string[]>;
}

export function createAuditTrail(db: Database, logger: Logger) {
  return async function record(event: AuditEventInput): Promise<void> {
    try {
      await db.auditEvent.create({ data: { id: generateId('evt'), ...event, detail: event.detail ?? undefined } });
    } catch (error) {
      logger.warn('audit event not recorded', { type: event.type, reason: error instanceof Error ? error.name : 'unknown' });
    }
    logger.info(event.type, {
      siteId: event.siteId,
      service: event.service,
      connectionId: event.connectionId,
      attemptId: event.attemptId,
    });
  };
}

export type AuditTrail = ReturnType<typeof createAuditTrail>;

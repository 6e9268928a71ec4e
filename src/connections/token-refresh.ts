// Hands out a currently valid access token, refreshing it first when it expires within the
// provider's buffer. Concurrent readers in this process share one refresh per connection; a
// writer that loses the version race re-reads the row and uses the token the winner stored.
import type { Logger } from '../logger.js';
import type { AuditTrail } from '../audit.js';
import { getProvider } from '../providers/index.js';
import type { ServiceName } from '../providers/types.js';
import { upstreamError, providerError } from '../errors.js';
import { OAuthFailure, refreshTokens } from '../oauth/grants.js';
import type { ProviderApps } from '../oauth/provider-apps.js';
import { grantedScopesOf, type ConnectionRow, type ConnectionStore } from './connection-store.js';

const DEFAULT_REFRESH_BUFFER_SECONDS = 300;
/** OAuth error codes after which only a new authorization helps. */
const REAUTH_ERRORS = new Set(['invalid_grant', 'unauthorized_client', 'invalid_scope']);

export function refreshBufferMs(service: ServiceName): number {
  return (getProvider(service).refreshBufferSeconds ?? DEFAULT_REFRESH_BUFFER_SECONDS) * 1000;
}

export function isUsable(row: ConnectionRow): boolean {
  return (row.status === 'ACTIVE' || row.status === 'REFRESHING') && row.accessToken !== null;
}

export function expiresWithinBuffer(row: ConnectionRow, now = Date.now()): boolean {
  return row.expiresAt !== null && row.expiresAt.getTime() - now <= refreshBufferMs(row.service as ServiceName);
}

export function canRefresh(row: ConnectionRow): boolean {
  return row.refreshToken !== null && getProvider(row.service as ServiceName).supportsRefresh;
}

export function createTokenRefresher(deps: {
  store: ConnectionStore;
  apps: ProviderApps;
  audit: AuditTrail;
  logger: Logger;
}) {
  const inflight = new Map<string, Promise<ConnectionRow>>();

  async function markNeedsReauth(row: ConnectionRow, reason: string): Promise<ConnectionRow> {
    const updated = (await deps.store.markRefreshFailed(row, 'NEEDS_REAUTH', reason)) ?? (await deps.store.findById(row.id)) ?? row;
    await deps.audit({ type: 'connection.needs_reauth', siteId: row.siteId, service: row.service, connectionId: row.id, detail: { reason } });
    return updated;
  }

  async function performRefresh(row: ConnectionRow): Promise<ConnectionRow> {
    const service = row.service as ServiceName;
    const provider = getProvider(service);
    const refreshToken = deps.store.refreshTokenOf(row);
    if (!refreshToken) return markNeedsReauth(row, 'the access token expired and there is no refresh token');
    const client = await deps.apps.clientFor(row.siteId, service);
    if (!client) {
      throw upstreamError(service, `${provider.friendlyServiceName}'s token expired and no OAuth app is configured to refresh it: restore the site's or the gateway's client credentials.`);
    }
    try {
      const tokens = await refreshTokens(client.config, provider, refreshToken, grantedScopesOf(row));
      const saved = await deps.store.saveRefreshed(row, tokens);
      if (!saved) return (await deps.store.findById(row.id)) ?? row;
      await deps.audit({ type: 'token.refreshed', siteId: row.siteId, service, connectionId: row.id });
      return saved;
    } catch (error) {
      if (!(error instanceof OAuthFailure)) throw error;
      await deps.audit({
        type: 'token.refresh_failed',
        siteId: row.siteId,
        service,
        connectionId: row.id,
        detail: { error: error.error, kind: error.kind },
      });
      if (error.kind === 'rejected' && (REAUTH_ERRORS.has(error.error) || provider.quirks.reauthErrors?.includes(error.error))) {
        return markNeedsReauth(row, `${provider.friendlyServiceName} refused the refresh token (${error.error})`);
      }
      await deps.store.markRefreshFailed(row, 'ACTIVE', `${error.error}: ${error.message}`);
      if (error.kind === 'rejected') throw providerError(service, error.error, 'while refreshing the token');
      throw upstreamError(service, `Refreshing the ${provider.friendlyServiceName} token failed for now (${error.error}); try again shortly.`, error.status);
    }
  }

  /** Refreshes once per connection at a time in this process. */
  function refresh(row: ConnectionRow): Promise<ConnectionRow> {
    const running = inflight.get(row.id);
    if (running) return running;
    const started = performRefresh(row).finally(() => inflight.delete(row.id));
    inflight.set(row.id, started);
    return started;
  }

  /**
   * Brings a connection to a state where its token can be handed out: refreshed if it expires
   * soon, NEEDS_REAUTH if it has expired and cannot be refreshed.
   */
  async function ensureFresh(row: ConnectionRow): Promise<ConnectionRow> {
    if (!isUsable(row) || !expiresWithinBuffer(row)) return row;
    if (canRefresh(row)) {
      try {
        return await refresh(row);
      } catch (error) {
        // A failed refresh of a token that is still valid leaves it usable until it expires.
        if (row.expiresAt && row.expiresAt.getTime() > Date.now()) {
          deps.logger.warn('refresh failed; handing out the still-valid token', { connectionId: row.id, service: row.service });
          return row;
        }
        throw error;
      }
    }
    if (row.expiresAt && row.expiresAt.getTime() <= Date.now()) {
      return markNeedsReauth(row, 'the access token expired and the provider offers no refresh');
    }
    return row;
  }

  return { ensureFresh, refresh };
}

export type TokenRefresher = ReturnType<typeof createTokenRefresher>;

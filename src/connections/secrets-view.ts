// What one request sees of its site's connections. All of them are read in one query (or from the
// short-lived connection cache), the first time a field asks; each service's token is made fresh at
// most once per request.
import type { Services } from '../services.js';
import type { ServiceName } from '../providers/types.js';
import { serviceNames } from '../providers/types.js';
import { siteOwner, type ConnectionRow } from './connection-store.js';
import { isUsable, RefreshFailedError } from './token-refresh.js';

export interface ServiceSecretView {
  service: ServiceName;
  row: ConnectionRow | null;
  /** A refresh that failed without settling the connection's fate; bearerToken reports it. */
  refreshError: Error | null;
}

export function isLoggedIn(view: ServiceSecretView): boolean {
  return view.row !== null && isUsable(view.row);
}

export function createSecretsView(services: Services, siteId: string, allowedServices: readonly ServiceName[] | null) {
  let rows: Promise<Map<string, ConnectionRow>> | undefined;
  const fresh = new Map<ServiceName, Promise<ServiceSecretView>>();

  function load(): Promise<Map<string, ConnectionRow>> {
    rows ??= services.connections
      .listForOwner(siteOwner(siteId))
      .then((list) => new Map(list.filter((row) => row.accountKey === '').map((row) => [row.service, row])));
    return rows;
  }

  async function resolve(service: ServiceName): Promise<ServiceSecretView> {
    if (allowedServices && !allowedServices.includes(service)) return { service, row: null, refreshError: null };
    const row = (await load()).get(service) ?? null;
    if (!row) return { service, row: null, refreshError: null };
    try {
      return { service, row: await services.refresher.ensureFresh(row), refreshError: null };
    } catch (error) {
      // After a failed refresh the row shows the recorded failure (refreshFailures, lastError).
      const current = error instanceof RefreshFailedError ? error.connection : row;
      return { service, row: current, refreshError: error instanceof Error ? error : new Error(String(error)) };
    }
  }

  function get(service: ServiceName): Promise<ServiceSecretView> {
    let view = fresh.get(service);
    if (!view) {
      view = resolve(service);
      fresh.set(service, view);
    }
    return view;
  }

  async function loggedIn(): Promise<ServiceSecretView[]> {
    const connected = await load();
    const views = await Promise.all(serviceNames.filter((service) => connected.has(service)).map(get));
    return views.filter(isLoggedIn);
  }

  return { get, loggedIn };
}

export type SecretsView = ReturnType<typeof createSecretsView>;

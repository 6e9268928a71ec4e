// What one request sees of its site's connections. All of them are read in one query (or from the
// short-lived connection cache), the first time a field asks; each service's token is made fresh at
// most once per request.
import type { Services } from '../services.js';
import type { ScopeDefinition, ServiceKey, ServiceName } from '../providers/types.js';
import { catalogService, serviceNames } from '../providers/index.js';
import { customServiceKey, isCustomServiceKey, slugOf } from '../providers/custom.js';
import type { CustomService } from '../oauth/custom-services.js';
import type { ServiceEntry } from '../registry/service-registry.js';
import { siteOwner, type ConnectionRow } from './connection-store.js';
import { isUsable, RefreshFailedError } from './token-refresh.js';

export interface ServiceSecretView {
  service: ServiceKey;
  friendlyServiceName: string;
  /** The scopes the service describes, for GrantedScope.scopeInfo. */
  scopeCatalog: readonly ScopeDefinition[];
  row: ConnectionRow | null;
  /** A refresh that failed without settling the connection's fate; bearerToken reports it. */
  refreshError: Error | null;
}

export interface CustomServiceSecretView extends ServiceSecretView {
  slug: string;
}

export function isLoggedIn(view: ServiceSecretView): boolean {
  return view.row !== null && isUsable(view.row);
}

/** A catalog service's view of a row, outside a request's secrets (mutation results). */
export function catalogView(service: ServiceName, row: ConnectionRow | null): ServiceSecretView {
  const file = catalogService(service);
  if (!file) throw new Error(`Unknown service ${JSON.stringify(service)}.`);
  return { service, friendlyServiceName: file.displayName, scopeCatalog: file.oauth?.scopes ?? [], row, refreshError: null };
}

/** The view of a row for any registry entry, catalog or custom. */
export function entryView(entry: Pick<ServiceEntry, 'key' | 'label' | 'scopes'>, row: ConnectionRow | null): ServiceSecretView | CustomServiceSecretView {
  const view = { service: entry.key, friendlyServiceName: entry.label, scopeCatalog: entry.scopes, row, refreshError: null };
  return isCustomServiceKey(entry.key) ? { ...view, slug: slugOf(entry.key) } : view;
}

export function customView(custom: CustomService, row: ConnectionRow | null, refreshError: Error | null = null): CustomServiceSecretView {
  return {
    service: customServiceKey(custom.slug),
    slug: custom.slug,
    friendlyServiceName: custom.friendlyServiceName,
    scopeCatalog: custom.scopes,
    row,
    refreshError,
  };
}

export function createSecretsView(services: Services, siteId: string, allowedServices: readonly ServiceKey[] | null) {
  let rows: Promise<Map<string, ConnectionRow>> | undefined;
  const fresh = new Map<ServiceKey, Promise<{ row: ConnectionRow | null; refreshError: Error | null }>>();

  function load(): Promise<Map<string, ConnectionRow>> {
    rows ??= services.connections
      .listForOwner(siteOwner(siteId))
      .then((list) => new Map(list.filter((row) => row.accountKey === '').map((row) => [row.service, row])));
    return rows;
  }

  async function resolve(service: ServiceKey): Promise<{ row: ConnectionRow | null; refreshError: Error | null }> {
    if (allowedServices && !allowedServices.includes(service)) return { row: null, refreshError: null };
    const row = (await load()).get(service) ?? null;
    if (!row) return { row: null, refreshError: null };
    try {
      return { row: await services.refresher.ensureFresh(row), refreshError: null };
    } catch (error) {
      // After a failed refresh the row shows the recorded failure (refreshFailures, lastError).
      const current = error instanceof RefreshFailedError ? error.connection : row;
      return { row: current, refreshError: error instanceof Error ? error : new Error(String(error)) };
    }
  }

  function freshRow(service: ServiceKey) {
    let state = fresh.get(service);
    if (!state) {
      state = resolve(service);
      fresh.set(service, state);
    }
    return state;
  }

  async function get(service: ServiceName): Promise<ServiceSecretView> {
    const { row, refreshError } = await freshRow(service);
    return { ...catalogView(service, row), refreshError };
  }

  /** Any service by its stored key; NOT_FOUND for a custom service the site does not define. */
  function getByKey(key: ServiceKey): Promise<ServiceSecretView> {
    return isCustomServiceKey(key) ? getCustom(slugOf(key)) : get(key);
  }

  /** A custom service of the site; NOT_FOUND when the site defines none by that slug. */
  async function getCustom(slug: string): Promise<CustomServiceSecretView> {
    const custom = await services.customServices.require(siteId, slug);
    const { row, refreshError } = await freshRow(customServiceKey(custom.slug));
    return customView(custom, row, refreshError);
  }

  async function loggedIn(): Promise<ServiceSecretView[]> {
    const connected = await load();
    const views = await Promise.all(serviceNames.filter((service) => connected.has(service)).map(get));
    return views.filter(isLoggedIn);
  }

  async function loggedInCustom(): Promise<CustomServiceSecretView[]> {
    const connected = [...(await load()).keys()].filter(isCustomServiceKey).sort();
    const views = await Promise.all(
      connected.map(async (key) => {
        const custom = await services.customServices.find(siteId, slugOf(key));
        if (!custom) return null;
        const { row, refreshError } = await freshRow(key);
        return customView(custom, row, refreshError);
      }),
    );
    return views.filter((view): view is CustomServiceSecretView => view !== null && isLoggedIn(view));
  }

  /** Every custom service of the site this caller may read, connected or not. */
  async function allCustom(): Promise<CustomServiceSecretView[]> {
    const defined = await services.customServices.list(siteId);
    const readable = defined.filter((custom) => !allowedServices || allowedServices.includes(customServiceKey(custom.slug)));
    return Promise.all(
      readable.map(async (custom) => {
        const { row, refreshError } = await freshRow(customServiceKey(custom.slug));
        return customView(custom, row, refreshError);
      }),
    );
  }

  return { get, getByKey, getCustom, loggedIn, loggedInCustom, allCustom };
}

export type SecretsView = ReturnType<typeof createSecretsView>;

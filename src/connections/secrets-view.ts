// What one request sees of one owner's connections (the site's own, or one end user's). All of them
// are read in one query (or from the short-lived per-owner connection cache), the first time a field
// asks; each account's token is made fresh at most once per request.
import type { RevocationStatus } from './revocation-queue.js';
import type { Services } from '../services.js';
import type { ScopeDefinition, ServiceKey, ServiceName } from '../providers/types.js';
import { catalogService, serviceNames } from '../providers/index.js';
import { customServiceKey } from '../providers/custom.js';
import { siteSlugOf } from '../registry/service-keys.js';
import type { CustomService } from '../oauth/custom-services.js';
import type { ServiceEntry } from '../registry/service-registry.js';
import { defaultAccountOf, type ConnectionRow } from './connection-store.js';
import type { Owner } from './owners.js';
import { isUsable, RefreshFailedError } from './token-refresh.js';

export interface ServiceSecretView {
  service: ServiceKey;
  friendlyServiceName: string;
  /** The scopes the service describes, for GrantedScope.scopeInfo. */
  scopeCatalog: readonly ScopeDefinition[];
  row: ConnectionRow | null;
  /** A refresh that failed without settling the connection's fate; bearerToken reports it. */
  refreshError: Error | null;
  /** Whose connection it is, when known beyond the row (a read of an owner with no connection yet). */
  owner?: Owner;
  /** Set on a sign-out's answer: what happened at the provider. */
  revocation?: RevocationStatus | null;
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
  const slug = siteSlugOf(entry.key);
  return slug === null ? view : { ...view, slug };
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

export function createSecretsView(services: Services, owner: Owner, allowedServices: readonly ServiceKey[] | null) {
  const { siteId } = owner;
  // Per service: its accounts, and the one a read without `account` means.
  let rows: Promise<Map<string, { accounts: Map<string, ConnectionRow>; preferred: ConnectionRow | null }>> | undefined;
  const fresh = new Map<string, Promise<{ row: ConnectionRow | null; refreshError: Error | null }>>();

  function load() {
    rows ??= services.connections.listForOwner(owner).then((list) => {
      const byService = new Map<string, ConnectionRow[]>();
      for (const row of list) byService.set(row.service, [...(byService.get(row.service) ?? []), row]);
      return new Map(
        [...byService].map(([service, accounts]) => [
          service,
          { accounts: new Map(accounts.map((row) => [row.accountKey, row])), preferred: defaultAccountOf(accounts) },
        ]),
      );
    });
    return rows;
  }

  async function resolve(service: ServiceKey, account: string | null): Promise<{ row: ConnectionRow | null; refreshError: Error | null }> {
    if (allowedServices && !allowedServices.includes(service)) return { row: null, refreshError: null };
    const connected = (await load()).get(service);
    const row = (account === null ? connected?.preferred : connected?.accounts.get(account)) ?? null;
    if (!row) return { row: null, refreshError: null };
    try {
      return { row: await services.refresher.ensureFresh(row), refreshError: null };
    } catch (error) {
      // After a failed refresh the row shows the recorded failure (refreshFailures, lastError).
      const current = error instanceof RefreshFailedError ? error.connection : row;
      return { row: current, refreshError: error instanceof Error ? error : new Error(String(error)) };
    }
  }

  function freshRow(service: ServiceKey, account: string | null = null) {
    const key = `${service}\u0000${account ?? ''}`;
    let state = fresh.get(key);
    if (!state) {
      state = resolve(service, account);
      fresh.set(key, state);
    }
    return state;
  }

  /**
   * The owner's connection to a catalog service: `account` picks one of its accounts (an account the
   * owner does not have reads as not logged in); without it, the most recently connected usable one.
   */
  async function get(service: ServiceName, account: string | null = null): Promise<ServiceSecretView> {
    const { row, refreshError } = await freshRow(service, account);
    return { ...catalogView(service, row), refreshError, owner };
  }

  /** Any service by its stored key; NOT_FOUND for a custom service the site does not define. */
  function getByKey(key: ServiceKey, account: string | null = null): Promise<ServiceSecretView> {
    const slug = siteSlugOf(key);
    return slug === null ? get(key as ServiceName, account) : getCustom(slug, account);
  }

  /** A custom service of the site; NOT_FOUND when the site defines none by that slug. */
  async function getCustom(slug: string, account: string | null = null): Promise<CustomServiceSecretView> {
    const custom = await services.customServices.require(siteId, slug);
    const { row, refreshError } = await freshRow(customServiceKey(custom.slug), account);
    return { ...customView(custom, row, refreshError), owner };
  }

  async function loggedIn(): Promise<ServiceSecretView[]> {
    const connected = await load();
    const views = await Promise.all(serviceNames.filter((service) => connected.has(service)).map((service) => get(service)));
    return views.filter(isLoggedIn);
  }

  async function loggedInCustom(): Promise<CustomServiceSecretView[]> {
    const connected = [...(await load()).keys()].filter((key) => siteSlugOf(key) !== null).sort();
    const views = await Promise.all(
      connected.map(async (key) => {
        const custom = await services.customServices.find(siteId, siteSlugOf(key)!);
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

  return { owner, get, getByKey, getCustom, loggedIn, loggedInCustom, allCustom };
}

export type SecretsView = ReturnType<typeof createSecretsView>;

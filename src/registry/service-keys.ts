// The shape of a service key, owned by the registry: a catalog service is stored under its enum
// name (GITHUB), a service a site defined under `custom:<slug>`. Only the registry reads the
// prefix; everyone else asks for the facts below (or for a resolved entry).
import { catalogService } from '../providers/index.js';
import type { CustomServiceKey, ServiceKey, ServiceName } from '../providers/types.js';

const CUSTOM_PREFIX = 'custom:';

/** Which parallel GraphQL operations and types serve a service (finishAuth or finishCustomAuth, …). */
export type ServiceFamily = 'catalog' | 'custom';

export function customServiceKey(slug: string): CustomServiceKey {
  return `${CUSTOM_PREFIX}${slug}`;
}

/** Registry-internal: whether a key names a service a site defined. Callers ask for facts instead. */
export function isCustomServiceKey(key: string): key is CustomServiceKey {
  return key.startsWith(CUSTOM_PREFIX);
}

export function slugOf(key: CustomServiceKey): string {
  return key.slice(CUSTOM_PREFIX.length);
}

/** The slug a site defined the service with; null for a catalog service. */
export function siteSlugOf(key: string): string | null {
  return isCustomServiceKey(key) ? slugOf(key) : null;
}

export function familyOf(key: string): ServiceFamily {
  return isCustomServiceKey(key) ? 'custom' : 'catalog';
}

/** A key list split the way a function token stores it: catalog names, and the slugs of the site's services. */
export function splitServiceKeys(keys: readonly ServiceKey[]): { services: ServiceName[]; customServices: string[] } {
  const services: ServiceName[] = [];
  const customServices: string[] = [];
  for (const key of keys) {
    if (isCustomServiceKey(key)) customServices.push(slugOf(key));
    else services.push(key);
  }
  return { services, customServices };
}

/** A label for metrics that cannot grow with the number of sites: every site-defined service counts as one. */
export function metricsLabelOf(key: string): string {
  return isCustomServiceKey(key) ? 'custom' : key.toLowerCase();
}

/** The gateway's callback path: one per catalog service, one per site and custom service (mix-up defence). */
export function callbackPathOf(key: ServiceKey, siteId: string): string {
  return isCustomServiceKey(key) ? `/oauth/callback/custom/${encodeURIComponent(siteId)}/${slugOf(key)}` : `/oauth/callback/${key.toLowerCase()}`;
}

/** How messages name a service when its definition is not at hand. */
export function labelOf(key: string): string {
  return isCustomServiceKey(key) ? `custom service "${slugOf(key)}"` : (catalogService(key)?.displayName ?? key);
}

/** What the key alone tells the code that words errors and routes operations, without a lookup. */
export interface KeyFacts {
  key: ServiceKey;
  family: ServiceFamily;
  /** The slug a site defined the service with; null for a catalog service. */
  siteSlug: string | null;
  /** Where the issuer compared with a callback's `iss` is configured. */
  issuerSetting: string;
  /** What is wrong when no OAuth client serves the service any more (`name`: its display name). */
  clientGone(name: string): string;
  /** How to give the client credentials grant the client secret it needs. */
  clientSecretRemedy(name: string): string;
  /** How to turn the client credentials grant on, and which argument named the service. */
  clientCredentialsRemedy(name: string): { message: string; field: string };
}

export function keyFactsOf(key: ServiceKey): KeyFacts {
  if (isCustomServiceKey(key)) {
    return {
      key,
      family: 'custom',
      siteSlug: slugOf(key),
      issuerSetting: "the custom service's issuer",
      clientGone: (name) => `The site no longer defines the ${name}.`,
      clientSecretRemedy: (name) => `define ${name} again with a clientSecret`,
      clientCredentialsRemedy: (name) => ({
        message: `${name} is not set up for the client credentials grant: define it again with supportsClientCredentials: true if its server allows the grant, or connect it with startAuth.`,
        field: 'slug',
      }),
    };
  }
  return {
    key,
    family: 'catalog',
    siteSlug: null,
    issuerSetting: `LATCHKEY_${key}_ISSUER`,
    clientGone: (name) => `No OAuth app is configured for ${name} any more.`,
    clientSecretRemedy: () => `set LATCHKEY_${key}_CLIENT_SECRET or give the site's credentials a clientSecret with setServiceCredentials`,
    clientCredentialsRemedy: (name) => ({
      message: `${name} does not offer the client credentials grant: connect it with startAuth(input: { service: ${key} }) instead.`,
      field: 'service',
    }),
  };
}

/** The prefix a database query matches every site-defined service's key with. */
export const CUSTOM_KEY_PREFIX = CUSTOM_PREFIX;

// Where a service's API lives and how it talks, behind one function: the proxy (and any other
// caller that needs a service's API facts) asks apiTargetFor, which asks the registry.
import type { ServiceKey } from '../providers/types.js';
import type { ServiceRegistry } from '../registry/service-registry.js';
import { badUserInput } from '../errors.js';
import { checkOutboundUrl, type OutboundUrlPolicy } from '../net/outbound-url-policy.js';
import type { ApiProfile } from './api-profiles.js';

export interface ApiTarget {
  service: ServiceKey;
  /** The service's name as people know it ("GitHub"). */
  name: string;
  /** The API base URL; a proxied path is always resolved below it. */
  baseUrl: string;
  /** Headers the API wants on every request (Accept, API version, User-Agent). */
  headers: Readonly<Record<string, string>>;
  /** Its quota and rate-limit headers and error shape. */
  profile: ApiProfile;
  /** Set for a site-chosen API (a custom service's): the addresses connections may reach. */
  connectPolicy?: OutboundUrlPolicy;
}

export interface ApiTargetDeps {
  registry: Pick<ServiceRegistry, 'apiOf' | 'catalogApiOf'>;
  config: { customServices: OutboundUrlPolicy };
}

/** A catalog service's target (synchronous: its facts are configuration). */
export function catalogApiTarget(deps: { registry: Pick<ServiceRegistry, 'catalogApiOf'> }, service: ServiceKey): ApiTarget {
  const api = deps.registry.catalogApiOf(service);
  if (!api?.baseUrl) throw new Error(`No catalog API for ${JSON.stringify(service)}.`);
  return { service, name: api.name, baseUrl: api.baseUrl, headers: api.profile.headers, profile: api.profile };
}

/** The API of `serviceKey` ("GITHUB" or "custom:<slug>") as the site `siteId` sees it. */
export async function apiTargetFor(deps: ApiTargetDeps, siteId: string, serviceKey: ServiceKey): Promise<ApiTarget> {
  const api = await deps.registry.apiOf(siteId, serviceKey);
  if (!api.baseUrl) {
    throw badUserInput(
      `The ${api.name} service has no API base URL: redefine it with defineCustomService(input: { …, apiBaseUrl: "https://api.example.com" }) to call it through the proxy.`,
      'service',
    );
  }
  const target: ApiTarget = { service: serviceKey, name: api.name, baseUrl: api.baseUrl, headers: api.profile.headers, profile: api.profile };
  if (!api.siteChosen) return target;
  // Checked again at each use: the operator may have tightened the policy since it was defined.
  const policy = deps.config.customServices;
  checkOutboundUrl(api.baseUrl, policy, {
    label: `The API base URL of the ${api.name} service`,
    field: 'service',
    purpose: 'send API requests to',
    allowLoopbackSetting: 'LATCHKEY_CUSTOM_SERVICE_ALLOW_LOOPBACK',
    allowPrivateSetting: 'LATCHKEY_CUSTOM_SERVICE_ALLOW_PRIVATE_NETWORKS',
  });
  return { ...target, connectPolicy: policy };
}

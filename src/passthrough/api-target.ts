// Where a service's API lives and how it talks, behind one function: the proxy (and any other
// caller that needs a service's API facts) asks apiTargetFor and never reads providers directly.
import type { ServiceKey, ServiceName } from '../providers/types.js';
import { serviceNames } from '../providers/index.js';
import { getProvider } from '../providers/index.js';
import { isCustomServiceKey, slugOf } from '../providers/custom.js';
import type { ProviderApps } from '../oauth/provider-apps.js';
import type { CustomServices } from '../oauth/custom-services.js';
import { badUserInput } from '../errors.js';
import { checkOutboundUrl, type OutboundUrlPolicy } from '../net/outbound-url-policy.js';
import { apiProfiles, genericProfile, type ApiProfile } from './api-profiles.js';

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
  apps: Pick<ProviderApps, 'endpointsFor'>;
  customServices: Pick<CustomServices, 'require'>;
  config: { customServices: OutboundUrlPolicy };
}

export function isCatalogService(key: string): key is ServiceName {
  return (serviceNames as readonly string[]).includes(key);
}

/** A catalog service's target (synchronous: its facts are configuration). */
export function catalogApiTarget(deps: Pick<ApiTargetDeps, 'apps'>, service: ServiceName): ApiTarget {
  const profile = apiProfiles[service] ?? genericProfile;
  return {
    service,
    name: getProvider(service).friendlyServiceName,
    baseUrl: deps.apps.endpointsFor(service).api,
    headers: profile.headers,
    profile,
  };
}

/** The API of `serviceKey` ("GITHUB" or "custom:<slug>") as the site `siteId` sees it. */
export async function apiTargetFor(deps: ApiTargetDeps, siteId: string, serviceKey: ServiceKey): Promise<ApiTarget> {
  if (!isCustomServiceKey(serviceKey)) return catalogApiTarget(deps, serviceKey);
  const custom = await deps.customServices.require(siteId, slugOf(serviceKey));
  const baseUrl = custom.apiBaseUrl;
  if (!baseUrl) {
    throw badUserInput(
      `The custom service "${custom.slug}" has no API base URL: redefine it with defineCustomService(input: { …, apiBaseUrl: "https://api.example.com" }) to call it through the proxy.`,
      'service',
    );
  }
  // Checked again at each use: the operator may have tightened the policy since it was defined.
  const policy = deps.config.customServices;
  checkOutboundUrl(baseUrl, policy, {
    label: `The API base URL of the custom service "${custom.slug}"`,
    field: 'service',
    purpose: 'send API requests to',
    allowLoopbackSetting: 'LATCHKEY_CUSTOM_SERVICE_ALLOW_LOOPBACK',
    allowPrivateSetting: 'LATCHKEY_CUSTOM_SERVICE_ALLOW_PRIVATE_NETWORKS',
  });
  return {
    service: serviceKey,
    name: custom.friendlyServiceName,
    baseUrl,
    headers: genericProfile.headers,
    profile: genericProfile,
    connectPolicy: policy,
  };
}

import { builder } from '../builder.js';
import { providerList, serviceNames } from '../providers/index.js';
import type { CatalogProvider, ScopeDefinition } from '../providers/types.js';

export const ServiceEnum = builder.enumType('Service', {
  description: 'A service Latchkey can connect a site to.',
  values: serviceNames as readonly string[] as [string, ...string[]],
});

export const ScopeInfoRef = builder.objectRef<ScopeDefinition>('ScopeInfo').implement({
  description: 'What an OAuth scope of a service allows.',
  fields: (t) => ({
    category: t.string({ nullable: true, resolve: (scope) => scope.category ?? null }),
    scope: t.exposeString('scope'),
    display: t.string({ resolve: (scope) => scope.title }),
    isDefault: t.boolean({ resolve: (scope) => Boolean(scope.isDefault || scope.isRequired) }),
    isRequired: t.boolean({ resolve: (scope) => Boolean(scope.isRequired) }),
    description: t.string({ nullable: true, resolve: (scope) => scope.description }),
    title: t.string({ nullable: true, resolve: (scope) => scope.title }),
  }),
});

export const ServiceInfoRef = builder.objectRef<CatalogProvider>('ServiceInfo').implement({
  description: 'A service of the catalog.',
  fields: (t) => ({
    service: t.field({ type: ServiceEnum, resolve: (provider) => provider.service }),
    friendlyServiceName: t.exposeString('friendlyServiceName'),
    graphQLField: t.exposeString('graphQLField'),
    availableScopes: t.field({ type: [ScopeInfoRef], resolve: (provider) => provider.scopes }),
    supportsRefresh: t.exposeBoolean('supportsRefresh'),
    supportsRevocation: t.boolean({ resolve: (provider) => provider.revocation !== undefined }),
    supportsPkce: t.exposeBoolean('pkce'),
    callbackPath: t.string({
      description: 'Path of the redirect URI to register with the provider, below LATCHKEY_PUBLIC_URL.',
      resolve: (provider) => `/oauth/callback/${provider.service.toLowerCase()}`,
    }),
    gatewayAppConfigured: t.boolean({
      description: 'True when the gateway has an OAuth app for this service (LATCHKEY_<SERVICE>_CLIENT_ID).',
      resolve: (provider, _args, context) => context.services.apps.hasGatewayApp(provider.service),
    }),
  }),
});

builder.queryField('services', (t) =>
  t.field({
    type: [ServiceInfoRef],
    description: 'The service catalog, with each service\'s available scopes.',
    resolve: () => providerList,
  }),
);

import { builder } from '../builder.js';
import { serviceNames } from '../providers/index.js';
import { authModes } from '../providers/provider-schema.js';
import type { ScopeDefinition } from '../providers/types.js';
import type { ServiceEntry } from '../registry/service-registry.js';

export const ServiceEnum = builder.enumType('Service', {
  description: 'A service Latchkey can connect a site to.',
  values: serviceNames as readonly string[] as [string, ...string[]],
});

export const AuthModeEnum = builder.enumType('AuthMode', {
  description:
    'How a connection to a service is made: OAUTH2 (a person authorizes), CLIENT_CREDENTIALS (the OAuth app itself), API_KEY or BASIC (connectCredentials).',
  values: authModes,
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

const DocumentationLinkRef = builder.objectRef<{ fact: string; url: string }>('DocumentationLink').implement({
  description: "A link to the provider's documentation of one fact the gateway relies on.",
  fields: (t) => ({
    fact: t.exposeString('fact', { description: 'authorization, token, scopes, refresh, revocation, clientCredentials, identity, apiKey, credentialCheck, api, rateLimits, errors or pagination.' }),
    url: t.exposeString('url'),
  }),
});

const CredentialFormRef = builder.objectRef<ServiceEntry>('CredentialForm').implement({
  description: 'What connectCredentials needs for an API_KEY or BASIC service, with labels for a form.',
  fields: (t) => ({
    authMode: t.field({ type: AuthModeEnum, resolve: (entry) => (entry.authModes.includes('BASIC') ? 'BASIC' : 'API_KEY') }),
    apiKeyLabel: t.string({ nullable: true, resolve: (entry) => (entry.authModes.includes('API_KEY') ? entry.credentials?.form.apiKeyLabel ?? 'API key' : null) }),
    usernameLabel: t.string({ nullable: true, resolve: (entry) => (entry.authModes.includes('BASIC') ? entry.credentials?.form.usernameLabel ?? 'User name' : null) }),
    passwordLabel: t.string({ nullable: true, resolve: (entry) => (entry.authModes.includes('BASIC') ? entry.credentials?.form.passwordLabel ?? 'Password' : null) }),
    help: t.string({ resolve: (entry) => entry.credentials?.form.help ?? '' }),
    checked: t.boolean({
      description: 'True when the gateway checks the credential with the provider before storing it.',
      resolve: (entry) => Boolean(entry.credentials?.check),
    }),
  }),
});

export const ServiceInfoRef = builder.objectRef<ServiceEntry>('ServiceInfo').implement({
  description: 'A service of the catalog.',
  fields: (t) => ({
    service: t.field({ type: ServiceEnum, resolve: (entry) => entry.key }),
    key: t.string({ description: 'The `service: String` form of the service: its name in lower case, e.g. "github".', resolve: (entry) => entry.publicKey }),
    friendlyServiceName: t.string({ resolve: (entry) => entry.label }),
    graphQLField: t.string({ description: 'Its field under `secrets`.', resolve: (entry) => entry.publicKey }),
    categories: t.stringList({ resolve: (entry) => [...entry.categories] }),
    authModes: t.field({ type: [AuthModeEnum], resolve: (entry) => [...entry.authModes] }),
    availableScopes: t.field({ type: [ScopeInfoRef], resolve: (entry) => [...entry.scopes] }),
    supportsRefresh: t.boolean({ resolve: (entry) => entry.supportsRefresh }),
    supportsRevocation: t.boolean({ resolve: (entry) => entry.supportsRevocation }),
    supportsPkce: t.boolean({ resolve: (entry) => Boolean(entry.oauth?.pkce) }),
    callbackPath: t.string({
      description: 'Path of the redirect URI to register with the provider, below LATCHKEY_PUBLIC_URL.',
      resolve: (entry) => entry.callbackPath,
    }),
    gatewayAppConfigured: t.boolean({
      description: 'True when the gateway has an OAuth app for this service (LATCHKEY_<SERVICE>_CLIENT_ID).',
      resolve: (entry, _args, context) => entry.oauth !== null && context.services.apps.hasGatewayApp(entry.key),
    }),
    documentation: t.field({
      type: [DocumentationLinkRef],
      description: "Links to the provider's documentation, one per fact the gateway relies on.",
      resolve: (entry) => Object.entries(entry.docs).flatMap(([fact, url]) => (url ? [{ fact, url }] : [])),
    }),
    credentialForm: t.field({
      type: CredentialFormRef,
      nullable: true,
      description: 'For API_KEY and BASIC services: what connectCredentials needs. Null for OAuth-only services.',
      resolve: (entry) => (entry.credentials || entry.authModes.includes('BASIC') ? entry : null),
    }),
  }),
});

builder.queryField('services', (t) =>
  t.field({
    type: [ServiceInfoRef],
    description: "The service catalog, with each service's available scopes.",
    resolve: (_root, _args, context) => [...context.services.registry.listCatalog()],
  }),
);

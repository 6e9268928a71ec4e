import { builder } from '../builder.js';
import { siteIdOf } from '../context.js';
import { mayPollAttempt } from './auth.js';
import { attemptStatus, MAX_WAIT_SECONDS, type AttemptRow } from '../connections/authorization-flow.js';
import { connectWithClientCredentials } from '../connections/client-credentials.js';
import { siteOwner } from '../connections/connection-store.js';
import { customView } from '../connections/secrets-view.js';
import type { CustomService } from '../oauth/custom-services.js';
import { customServiceKey, slugOf } from '../providers/custom.js';
import type { CustomServiceKey } from '../providers/types.js';
import { ScopeInfoRef } from './services.js';
import { CustomServiceSecretRef } from './secrets.js';
import { AuthAttemptStatusEnum, FinishAuthInput } from './auth.js';

const ClientAuthMethodEnum = builder.enumType('ClientAuthMethod', {
  description: 'How the gateway authenticates to a token endpoint (RFC 6749 §2.3, OpenID Connect Core §9).',
  values: {
    CLIENT_SECRET_BASIC: { value: 'client_secret_basic' as const, description: 'HTTP Basic with the client id and secret.' },
    CLIENT_SECRET_POST: { value: 'client_secret_post' as const, description: 'client_id and client_secret in the form body.' },
    CLIENT_SECRET_JWT: { value: 'client_secret_jwt' as const, description: 'A JWT assertion signed with the client secret (HS256; RFC 7523).' },
    PRIVATE_KEY_JWT: {
      value: 'private_key_jwt' as const,
      description: "A JWT assertion signed with the gateway's private key for this service (RFC 7523); register clientJwksUrl at the server.",
    },
    NONE: { value: 'none' as const, description: 'A public client: no secret, PKCE protects the code.' },
  },
});

const AuthorizationParameterRef = builder.objectRef<{ name: string; value: string }>('AuthorizationParameter').implement({
  description: 'A fixed parameter added to every authorization request of a custom service.',
  fields: (t) => ({ name: t.exposeString('name'), value: t.exposeString('value') }),
});

const CustomServiceRef = builder.objectRef<CustomService>('CustomService').implement({
  description: 'An OAuth 2.0 / OpenID Connect service the site defined itself. Its client secret is never shown.',
  fields: (t) => ({
    slug: t.exposeString('slug'),
    serviceKey: t.string({ description: '"custom:<slug>": the key its connection, webhooks and audit events use.', resolve: (service) => customServiceKey(service.slug) }),
    friendlyServiceName: t.exposeString('friendlyServiceName'),
    issuer: t.exposeString('issuer', { nullable: true, description: "Compared with a callback's iss; null: any issuer on the authorization endpoint's origin." }),
    discoveryUrl: t.exposeString('discoveryUrl', { nullable: true, description: 'Where the endpoints were read from, when they were; read again only by defineCustomService.' }),
    authorizationEndpoint: t.exposeString('authorizationEndpoint'),
    tokenEndpoint: t.exposeString('tokenEndpoint'),
    revocationEndpoint: t.exposeString('revocationEndpoint', { nullable: true }),
    userinfoEndpoint: t.exposeString('userinfoEndpoint', { nullable: true, description: 'Where foreignUserId (`sub`) comes from.' }),
    apiBaseUrl: t.exposeString('apiBaseUrl', { nullable: true, description: 'Where proxy(service: "custom:<slug>", …) sends requests.' }),
    availableScopes: t.field({ type: [ScopeInfoRef], resolve: (service) => service.scopes }),
    scopeSeparator: t.exposeString('scopeSeparator'),
    authorizationParameters: t.field({
      type: [AuthorizationParameterRef],
      resolve: (service) => Object.entries(service.authorizationParameters).map(([name, value]) => ({ name, value })),
    }),
    clientId: t.exposeString('clientId'),
    hasClientSecret: t.exposeBoolean('hasClientSecret'),
    clientAuthMethod: t.field({ type: ClientAuthMethodEnum, resolve: (service) => service.clientAuthMethod }),
    pkce: t.exposeBoolean('pkce'),
    supportsClientCredentials: t.exposeBoolean('supportsClientCredentials'),
    supportsRevocation: t.boolean({ resolve: (service) => service.revocationEndpoint !== null }),
    supportsRefresh: t.boolean({ description: 'Always true: the connection refreshes whenever the server issued a refresh token.', resolve: () => true }),
    callbackUrl: t.exposeString('callbackUrl', { description: 'The redirect URI to register at the provider for this site.' }),
    jwksUri: t.exposeString('jwksUri', { nullable: true, description: "The server's JWKS: an ID token is validated against it. Null: ID tokens are ignored." }),
    pushedAuthorizationRequestEndpoint: t.exposeString('pushedAuthorizationRequestEndpoint', {
      nullable: true,
      description: 'RFC 9126: when set, every authorization request is pushed here and authorizationUrl carries only client_id and request_uri.',
    }),
    requirePushedAuthorizationRequests: t.exposeBoolean('requirePushedAuthorizationRequests'),
    clientJwksUrl: t.exposeString('clientJwksUrl', {
      nullable: true,
      description: "PRIVATE_KEY_JWT: the gateway's public keys for this service (a stable public URL); register it (or its keys) as the client's jwks_uri.",
    }),
    clientKeyId: t.exposeString('clientKeyId', { nullable: true, description: 'PRIVATE_KEY_JWT: the kid (RFC 7638 thumbprint) of the current signing key.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

const CustomScopeInput = builder.inputType('CustomScopeInput', {
  fields: (t) => ({
    scope: t.string({ required: true }),
    title: t.string({ required: false }),
    description: t.string({ required: false }),
    category: t.string({ required: false }),
    isDefault: t.boolean({ required: false, description: 'Requested when startAuth names no scopes.' }),
    isRequired: t.boolean({ required: false, description: 'Always requested.' }),
  }),
});

const AuthorizationParameterInput = builder.inputType('AuthorizationParameterInput', {
  fields: (t) => ({ name: t.string({ required: true }), value: t.string({ required: true }) }),
});

const DefineCustomServiceInput = builder.inputType('DefineCustomServiceInput', {
  description:
    'A service by its discovery document (discoveryUrl) or by its endpoints. URLs must be https (plain http only for loopback hosts) and public unless the gateway allows more.',
  fields: (t) => ({
    slug: t.string({ required: true, description: '2 to 40 lower-case letters, digits and hyphens; unique per site.' }),
    friendlyServiceName: t.string({ required: true }),
    discoveryUrl: t.string({
      required: false,
      description: 'The issuer, or its /.well-known/openid-configuration or /.well-known/oauth-authorization-server URL. Read once, now.',
    }),
    issuer: t.string({ required: false, description: "Without discovery: the issuer a callback's iss must name." }),
    authorizationEndpoint: t.string({ required: false, description: 'Required without discoveryUrl; overrides the discovered one.' }),
    tokenEndpoint: t.string({ required: false, description: 'Required without discoveryUrl; overrides the discovered one.' }),
    revocationEndpoint: t.string({ required: false, description: 'RFC 7009; signOut revokes there.' }),
    userinfoEndpoint: t.string({ required: false, description: 'Identity lookup: `sub` becomes foreignUserId.' }),
    apiBaseUrl: t.string({ required: false, description: 'Base URL of the service\'s API, for proxy(service: "custom:<slug>", path: …); same URL rules as the endpoints.' }),
    scopes: t.field({
      type: [CustomScopeInput],
      required: false,
      description: "Default: the discovery document's scopes_supported (openid and offline_access requested by default), else none.",
    }),
    scopeSeparator: t.string({ required: false, description: '" " (default) or ",".' }),
    authorizationParameters: t.field({
      type: [AuthorizationParameterInput],
      required: false,
      description: 'Fixed extra parameters of the authorization request, e.g. prompt=consent or access_type=offline.',
    }),
    clientId: t.string({ required: true }),
    clientSecret: t.string({ required: false, description: 'Stored encrypted and never shown. Omit to keep the stored one; null to remove it.' }),
    clientAuthMethod: t.field({
      type: ClientAuthMethodEnum,
      required: false,
      description:
        "Default: CLIENT_SECRET_BASIC with a secret (else the first of CLIENT_SECRET_POST, CLIENT_SECRET_JWT discovery lists); without one NONE, or PRIVATE_KEY_JWT when discovery does not list none.",
    }),
    clientPrivateKey: t.string({
      required: false,
      description:
        'PRIVATE_KEY_JWT: your own private JWK (JSON; EC P-256 or RSA >= 2048 bits), stored encrypted and never shown. Omitted: the stored key is kept, or one is generated.',
    }),
    rotateClientKey: t.boolean({
      required: false,
      description: 'PRIVATE_KEY_JWT: generate a new key; the one it replaces stays in clientJwksUrl until the next rotation.',
    }),
    jwksUri: t.string({ required: false, description: "The server's JWKS for ID token signatures. Default: discovery's jwks_uri." }),
    pushedAuthorizationRequestEndpoint: t.string({
      required: false,
      description: "RFC 9126 PAR endpoint. Default: discovery's pushed_authorization_request_endpoint.",
    }),
    pkce: t.boolean({ required: false, description: 'Send an S256 PKCE challenge (default true).' }),
    supportsClientCredentials: t.boolean({
      required: false,
      description: "Allow connectCustomClientCredentials. Default: whether discovery's grant_types_supported lists client_credentials.",
    }),
  }),
});

const ConnectCustomClientCredentialsInput = builder.inputType('ConnectCustomClientCredentialsInput', {
  fields: (t) => ({
    slug: t.string({ required: true }),
    scopes: t.stringList({ required: false, description: "Default: none, so the server grants the app's configured scopes." }),
  }),
});

const CustomAuthAttemptRef = builder.prismaObject('AuthAttempt', {
  variant: 'CustomAuthAttempt',
  description: 'One authorization attempt for a custom service, from startAuth to the provider\'s callback.',
  fields: (t) => ({
    id: t.exposeID('id'),
    slug: t.string({ resolve: (attempt) => slugOf(attempt.service as CustomServiceKey) }),
    serviceKey: t.exposeString('service'),
    status: t.field({ type: AuthAttemptStatusEnum, resolve: (attempt) => attemptStatus(attempt) }),
    error: t.exposeString('error', { nullable: true, description: "The provider's error code when the attempt failed." }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime' }),
    scopes: t.stringList({ resolve: (attempt) => (Array.isArray(attempt.scopes) ? (attempt.scopes as string[]) : []) }),
    completedAt: t.expose('completedAt', { type: 'DateTime', nullable: true }),
  }),
});

builder.queryFields((t) => ({
  customServices: t.field({
    type: [CustomServiceRef],
    authScopes: { siteOwner: true },
    description: 'The services this site defined itself.',
    resolve: (_root, _args, context) => context.services.customServices.list(siteIdOf(context)),
  }),
  customService: t.field({
    type: CustomServiceRef,
    nullable: true,
    authScopes: { siteOwner: true },
    args: { slug: t.arg.string({ required: true }) },
    resolve: (_root, { slug }, context) => context.services.customServices.find(siteIdOf(context), slug),
  }),
  customAuthAttempt: t.field({
    type: CustomAuthAttemptRef,
    nullable: true,
    authScopes: { site: true },
    description: `Poll an authorization attempt of a custom service. waitSeconds long-polls up to ${MAX_WAIT_SECONDS} s.`,
    args: { id: t.arg.id({ required: true }), waitSeconds: t.arg.int({ required: false }) },
    resolve: async (_root, args, context): Promise<AttemptRow | null> =>
      (await mayPollAttempt(context, String(args.id)))
        ? context.services.flow.waitForAttempt(siteIdOf(context), String(args.id), args.waitSeconds ?? 0, context.request.signal, 'custom')
        : null,
  }),
}));

builder.mutationFields((t) => ({
  defineCustomService: t.field({
    type: CustomServiceRef,
    authScopes: { siteOwner: true },
    description:
      'Define (or redefine, by slug) an OAuth 2.0 / OpenID Connect service the catalog does not ship. Register its callbackUrl at the provider, then connect it with startAuth(input: { customService: slug }).',
    args: { input: t.arg({ type: DefineCustomServiceInput, required: true }) },
    resolve: (_root, { input }, context) => context.services.customServices.define(siteIdOf(context), input),
  }),
  removeCustomService: t.field({
    type: 'Boolean',
    authScopes: { siteOwner: true },
    description: 'Sign the site out of the service (revoking at the provider where supported), forget its connection and its definition. False when there was none.',
    args: { slug: t.arg.string({ required: true }) },
    resolve: async (_root, { slug }, context) => {
      const siteId = siteIdOf(context);
      const existing = await context.services.customServices.find(siteId, slug);
      if (!existing) return false;
      const key = customServiceKey(existing.slug);
      await context.services.flow.signOut(siteId, key);
      return context.services.customServices.remove(siteId, existing.slug);
    },
  }),
  finishCustomAuth: t.field({
    type: CustomServiceSecretRef,
    authScopes: { siteOwner: true },
    description: "finishAuth for a custom service: the provider redirected to the app's own redirectUri (code + state from its query).",
    args: { input: t.arg({ type: FinishAuthInput, required: true }) },
    resolve: async (_root, { input }, context) => {
      const siteId = siteIdOf(context);
      const { attempt, connection } = await context.services.flow.finish(siteId, input, 'custom');
      const custom = await context.services.customServices.require(siteId, slugOf(attempt.service as CustomServiceKey));
      return customView(custom, connection);
    },
  }),
  signOutCustomService: t.field({
    type: CustomServiceSecretRef,
    authScopes: (_root, args) => ({ $any: { siteOwner: true, connect: customServiceKey(args.slug) } }),
    description: 'Revoke at the provider where supported, and forget the tokens.',
    args: { slug: t.arg.string({ required: true }) },
    resolve: async (_root, { slug }, context) => {
      const siteId = siteIdOf(context);
      const custom = await context.services.customServices.require(siteId, slug);
      const key = customServiceKey(custom.slug);
      // The account signed out is the one answered, even when the site has another account still connected.
      const row = await context.services.store.find(siteOwner(siteId), key);
      const revocation = row ? await context.services.flow.disconnect(row) : null;
      return { ...customView(custom, row ? await context.services.store.findById(row.id) : null), revocation };
    },
  }),
  connectCustomClientCredentials: t.field({
    type: CustomServiceSecretRef,
    authScopes: { siteOwner: true },
    description:
      'Connect the site to a custom service as the OAuth app itself (client credentials grant, no user). The token is asked for again whenever it is about to expire.',
    args: { input: t.arg({ type: ConnectCustomClientCredentialsInput, required: true }) },
    resolve: async (_root, { input }, context) => {
      const siteId = siteIdOf(context);
      const custom = await context.services.customServices.require(siteId, input.slug);
      const row = await connectWithClientCredentials(context.services, siteId, { service: customServiceKey(custom.slug), scopes: input.scopes });
      return customView(custom, row);
    },
  }),
}));

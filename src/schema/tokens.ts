import { builder } from '../builder.js';
import { siteCallerOf } from '../context.js';
import { canConnectOf, customServicesOf, DEFAULT_FUNCTION_TOKEN_TTL_SECONDS, MAX_FUNCTION_TOKEN_TTL_SECONDS, servicesOf, type AccessTokenRow } from '../sites/sites.js';
import { connectPageUrl, createConnectLink, DEFAULT_CONNECT_LINK_TTL_SECONDS, MAX_CONNECT_LINK_TTL_SECONDS } from '../sites/connect-links.js';
import { badUserInput } from '../errors.js';
import { splitServiceKeys } from '../registry/service-keys.js';
import { parseServiceKey } from '../registry/service-registry.js';
import { ServiceEnum } from './services.js';

const AccessTokenKindEnum = builder.enumType('AccessTokenKind', {
  description: 'SITE: long-lived, full access. FUNCTION: short-lived, reads secrets of its services only.',
  values: ['SITE', 'FUNCTION'] as const,
});

export const AccessTokenRef = builder.prismaObject('SiteToken', {
  name: 'AccessToken',
  description: 'A bearer token of the site. The token itself is never shown again after it is made.',
  fields: (t) => ({
    id: t.exposeID('id'),
    kind: t.field({ type: AccessTokenKindEnum, resolve: (token) => (token.kind === 'FUNCTION' ? 'FUNCTION' : 'SITE') }),
    label: t.exposeString('label', { nullable: true }),
    prefix: t.exposeString('prefix', { description: 'The first characters of the token, to tell tokens apart.' }),
    services: t.field({
      type: [ServiceEnum],
      nullable: true,
      description: 'The services a function token may read; null means every service.',
      resolve: servicesOf,
    }),
    customServices: t.stringList({
      nullable: true,
      description: 'The custom services (slugs) a function token may read; null means every service.',
      resolve: customServicesOf,
    }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', nullable: true }),
    revokedAt: t.expose('revokedAt', { type: 'DateTime', nullable: true }),
    lastUsedAt: t.expose('lastUsedAt', { type: 'DateTime', nullable: true, description: 'Updated at most once a minute.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    endUser: t.exposeString('endUser', { nullable: true, description: 'The end user it is bound to; null: the site and any end user.' }),
    canConnect: t.boolean({
      description: 'A function token minted with canConnect (prefix lkc_): it may also call startAuth and signOut for its services.',
      resolve: canConnectOf,
    }),
  }),
});

const CreateFunctionTokenInput = builder.inputType('CreateFunctionTokenInput', {
  fields: (t) => ({
    services: t.field({ type: [ServiceEnum], required: false, description: 'The services it may read. Default (with customServices also omitted): all.' }),
    customServices: t.stringList({ required: false, description: 'Slugs of custom services it may read, besides `services`.' }),
    ttlSeconds: t.int({
      required: false,
      description: `Lifetime in seconds. Default ${DEFAULT_FUNCTION_TOKEN_TTL_SECONDS}, at most ${MAX_FUNCTION_TOKEN_TTL_SECONDS}.`,
    }),
    label: t.string({ required: false }),
    endUser: t.string({
      required: false,
      description: 'Bind it to one end user: secrets, connections and pass-through then mean that end user, and naming another is FORBIDDEN.',
    }),
    canConnect: t.boolean({
      required: false,
      defaultValue: false,
      description:
        'Also let it call startAuth and signOut for its services, e.g. for the @latchkey/auth browser helper. The token then starts with "lkc_" instead of "lkf_".',
    }),
  }),
});

const CreateFunctionTokenPayload = builder
  .objectRef<{ token: string; accessToken: AccessTokenRow }>('CreateFunctionTokenPayload')
  .implement({
    fields: (t) => ({
      token: t.exposeString('token', { description: 'Shown only here: "lkf_" + 43 characters. Send it as "Authorization: Bearer <token>".' }),
      accessToken: t.field({ type: AccessTokenRef, resolve: (payload) => payload.accessToken }),
    }),
  });

const RotateSiteTokenPayload = builder
  .objectRef<{ token: string; accessToken: AccessTokenRow; revoked: AccessTokenRow }>('RotateSiteTokenPayload')
  .implement({
    fields: (t) => ({
      token: t.exposeString('token', { description: 'The new site token, shown only here.' }),
      accessToken: t.field({ type: AccessTokenRef, resolve: (payload) => payload.accessToken }),
      revoked: t.field({ type: AccessTokenRef, description: 'The token it replaces, now revoked.', resolve: (payload) => payload.revoked }),
    }),
  });


builder.queryField('accessTokens', (t) =>
  t.field({
    type: [AccessTokenRef],
    authScopes: { siteOwner: true },
    description: "The site's tokens, newest first, without their secret. includeRevoked also lists revoked and expired ones.",
    args: { includeRevoked: t.arg.boolean({ required: false, defaultValue: false }) },
    resolve: (_root, args, context) => context.services.sites.list(siteCallerOf(context).siteId, args.includeRevoked ?? false),
  }),
);

builder.mutationFields((t) => ({
  createFunctionToken: t.field({
    type: CreateFunctionTokenPayload,
    authScopes: { siteOwner: true },
    description: 'Mint a short-lived token for a function: it reads secrets of the chosen services only, and expires.',
    args: { input: t.arg({ type: CreateFunctionTokenInput, required: false }) },
    resolve: (_root, { input }, context) => context.services.sites.createFunctionToken(siteCallerOf(context).siteId, input ?? {}),
  }),
  revokeAccessToken: t.field({
    type: AccessTokenRef,
    authScopes: { siteOwner: true },
    description: 'Revoke a site or function token of the site. It stops working at once on this instance, within LATCHKEY_TOKEN_CACHE_MS on others.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, context) => context.services.sites.revoke(siteCallerOf(context).siteId, String(id)),
  }),
  rotateSiteToken: t.field({
    type: RotateSiteTokenPayload,
    authScopes: { siteOwner: true },
    description: 'Make a new site token and revoke `id` (default: the calling token), in one step.',
    args: { id: t.arg.id({ required: false }) },
    resolve: (_root, { id }, context) => {
      const caller = siteCallerOf(context);
      return context.services.sites.rotateSiteToken(caller.siteId, id ? String(id) : caller.tokenId);
    },
  }),
}));

// ---- Links to the connect page ----

const ConnectLinkRef = builder
  .objectRef<{ url: string; expiresAt: Date; accessToken: AccessTokenRow }>('ConnectLink')
  .implement({
    description:
      'A short-lived link to the gateway\'s connect page. Its URL fragment carries a token of its own: a function token with canConnect for every service, which expires.',
    fields: (t) => ({
      url: t.exposeString('url', {
        description: 'Shown only here. Anyone holding it can see, connect and disconnect the site\'s services until it expires.',
      }),
      expiresAt: t.expose('expiresAt', { type: 'DateTime' }),
      accessToken: t.field({ type: AccessTokenRef, description: 'The link\'s token, to revoke it early with revokeAccessToken.', resolve: (link) => link.accessToken }),
    }),
  });

builder.mutationField('createConnectLink', (t) =>
  t.field({
    type: ConnectLinkRef,
    authScopes: { siteOwner: true },
    description: `A link to the connect page that works for ttlSeconds (default ${DEFAULT_CONNECT_LINK_TTL_SECONDS}, at most ${MAX_CONNECT_LINK_TTL_SECONDS}), never longer than the calling token.`,
    args: { ttlSeconds: t.arg.int({ required: false, defaultValue: DEFAULT_CONNECT_LINK_TTL_SECONDS }) },
    resolve: (_root, args, context) =>
      createConnectLink(context.services.db, context.services.config.publicUrl, siteCallerOf(context), args.ttlSeconds ?? DEFAULT_CONNECT_LINK_TTL_SECONDS),
  }),
);

// ---- Connect sessions: a browser token for one end user ----

const CreateConnectSessionInput = builder.inputType('CreateConnectSessionInput', {
  fields: (t) => ({
    endUser: t.string({ required: true, description: 'The end user, in the site\'s own namespace.' }),
    services: t.stringList({ required: false, description: 'github, spotify, … or custom:<slug>; default every service.' }),
    ttlSeconds: t.int({ required: false, defaultValue: DEFAULT_FUNCTION_TOKEN_TTL_SECONDS, description: `Lifetime, 1 to ${MAX_FUNCTION_TOKEN_TTL_SECONDS} seconds.` }),
  }),
});

const ConnectSessionRef = builder.objectRef<{ token: string; connectUrl: string; expiresAt: Date }>('ConnectSession').implement({
  description:
    'A short-lived browser token (lkc_…) for one end user: it may start, see and disconnect that end user\'s connections of its services, and nothing else (never bearerToken, never pass-through).',
  fields: (t) => ({
    token: t.exposeString('token', { description: 'Shown only here. Hand it to the frontend: new LatchkeyAuth({ token }).' }),
    connectUrl: t.exposeString('connectUrl', { description: 'The gateway\'s connect page for this end user (the token rides in the fragment).' }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime' }),
  }),
});

builder.mutationField('createConnectSession', (t) =>
  t.field({
    type: ConnectSessionRef,
    authScopes: { siteOwner: true },
    description: "Mint a connect session for one end user, for the site's backend to hand to its frontend.",
    args: { input: t.arg({ type: CreateConnectSessionInput, required: true }) },
    resolve: async (_root, { input }, context) => {
      const keys = input.services ? [...new Set(input.services.map((service) => parseServiceKey(service)))] : null;
      if (keys && keys.length === 0) throw badUserInput('services must name at least one service; omit it for every service.', 'services');
      const { token, accessToken } = await context.services.sites.createFunctionToken(siteCallerOf(context).siteId, {
        services: keys ? splitServiceKeys(keys).services : null,
        customServices: keys ? splitServiceKeys(keys).customServices : null,
        ttlSeconds: input.ttlSeconds ?? DEFAULT_FUNCTION_TOKEN_TTL_SECONDS,
        label: 'connect session',
        canConnect: true,
        endUser: input.endUser,
      });
      return { token, connectUrl: `${connectPageUrl(context.services.config.publicUrl)}#token=${token}`, expiresAt: accessToken.expiresAt! };
    },
  }),
);

import { builder } from '../builder.js';
import { siteIdOf } from '../context.js';
import { allowedOriginsOf } from '../connections/authorization-flow.js';
import type { ServiceCredentialSummary } from '../oauth/provider-apps.js';
import { ServiceEnum } from './services.js';

const SiteRef = builder.prismaObject('Site', {
  description: 'A site: the owner of connections and of the tokens its functions use.',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    allowedOrigins: t.stringList({ resolve: allowedOriginsOf }),
    endUserVerifyUrl: t.exposeString('endUserVerifyUrl', {
      nullable: true,
      description: 'Where end-user verification sends the browser (with latchkey_attempt) before an end user\'s connection is stored; null: off.',
    }),
    mcpLoginUrl: t.exposeString('mcpLoginUrl', {
      nullable: true,
      description: 'Where an MCP client\'s OAuth sign-in sends the browser (with latchkey_mcp_request) so the site can say who is logged in; null: MCP sign-in is off.',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

const UpdateSiteInput = builder.inputType('UpdateSiteInput', {
  fields: (t) => ({
    name: t.string({ required: false }),
    allowedOrigins: t.stringList({ required: false, description: 'Replaces the list: exact origins (scheme://host[:port]).' }),
    endUserVerifyUrl: t.string({
      required: false,
      description: 'Turn end-user verification on: a page of the site (on an allowed origin) that calls confirmEndUser. null turns it off.',
    }),
    mcpLoginUrl: t.string({
      required: false,
      description: 'Turn MCP sign-in on: a page of the site (on an allowed origin) that, for the logged-in person, calls createMcpLoginAssertion and redirects to its URL. null turns it off.',
    }),
  }),
});

const CreateSiteInput = builder.inputType('CreateSiteInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    allowedOrigins: t.stringList({ required: false, description: 'Exact origins (scheme://host[:port]) for returnTo, redirectUri and popups.' }),
  }),
});

const CreateSitePayload = builder
  .objectRef<{ site: { id: string }; siteToken: string }>('CreateSitePayload')
  .implement({
    fields: (t) => ({
      site: t.prismaField({ type: 'Site', resolve: (query, payload, _args, context) => context.db.site.findUniqueOrThrow({ ...query, where: { id: payload.site.id } }) }),
      siteToken: t.exposeString('siteToken', { description: 'Shown only here: store it as a secret.' }),
    }),
  });

const ServiceCredentialRef = builder.objectRef<ServiceCredentialSummary>('ServiceCredential').implement({
  description: "A site's own OAuth app for a service. The client secret is write-only.",
  fields: (t) => ({
    service: t.field({ type: ServiceEnum, resolve: (credential) => credential.service }),
    clientId: t.exposeString('clientId'),
    hasClientSecret: t.exposeBoolean('hasClientSecret'),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

const SetServiceCredentialsInput = builder.inputType('SetServiceCredentialsInput', {
  fields: (t) => ({
    service: t.field({ type: ServiceEnum, required: true }),
    clientId: t.string({ required: true }),
    clientSecret: t.string({ required: false, description: 'Omit to keep the stored secret; null to remove it.' }),
  }),
});

builder.queryFields((t) => ({
  site: t.prismaField({
    type: 'Site',
    authScopes: { site: true },
    description: "The caller's site.",
    resolve: (query, _root, _args, context) =>
      context.db.site.findUniqueOrThrow({ ...query, where: { id: siteIdOf(context) } }),
  }),
  serviceCredentials: t.field({
    type: [ServiceCredentialRef],
    authScopes: { siteOwner: true },
    description: "The site's own OAuth apps (secrets never shown).",
    resolve: (_root, _args, context) =>
      context.services.apps.listSiteCredentials(siteIdOf(context)),
  }),
}));

builder.mutationFields((t) => ({
  createSite: t.field({
    type: CreateSitePayload,
    authScopes: { admin: true },
    description: 'Admin: create a site; the token is shown only here.',
    args: { input: t.arg({ type: CreateSiteInput, required: true }) },
    resolve: (_root, { input }, context) => context.services.sites.create(input.name, input.allowedOrigins ?? []),
  }),
  setServiceCredentials: t.field({
    type: ServiceCredentialRef,
    authScopes: { siteOwner: true },
    description: "Use the site's own OAuth app for a service instead of the gateway-wide one.",
    args: { input: t.arg({ type: SetServiceCredentialsInput, required: true }) },
    resolve: async (_root, { input }, context) => {
      const siteId = siteIdOf(context);
      const saved = await context.services.apps.setSiteCredentials(siteId, input.service, input.clientId, input.clientSecret);
      await context.services.audit({ type: 'credentials.updated', siteId, service: input.service });
      return saved;
    },
  }),
  updateSite: t.prismaField({
    type: 'Site',
    authScopes: { siteOwner: true },
    description: "Change the caller's site: name, allowed origins, end-user verify URL. What is omitted stays.",
    args: { input: t.arg({ type: UpdateSiteInput, required: true }) },
    resolve: async (query, _root, { input }, context) => {
      const site = await context.services.sites.update(siteIdOf(context), input);
      return context.db.site.findUniqueOrThrow({ ...query, where: { id: site.id } });
    },
  }),
  removeServiceCredentials: t.boolean({
    authScopes: { siteOwner: true },
    description: "Go back to the gateway-wide OAuth app for a service.",
    args: { service: t.arg({ type: ServiceEnum, required: true }) },
    resolve: (_root, { service }, context) =>
      context.services.apps.removeSiteCredentials(siteIdOf(context), service),
  }),
}));

export { SiteRef };

import { builder } from '../builder.js';
import { siteIdOf } from '../context.js';
import { connectWithClientCredentials } from '../connections/client-credentials.js';
import type { ClientCredentialsParameter } from '../providers/types.js';
import { ServiceEnum, ServiceInfoRef } from './services.js';
import { ServiceConnectionRef, ServiceSecretRef } from './secrets.js';
import { catalogView, entryView } from '../connections/secrets-view.js';

const ClientCredentialsParameterRef = builder.objectRef<ClientCredentialsParameter>('ClientCredentialsParameter').implement({
  description: 'A parameter a service needs in its client credentials request.',
  fields: (t) => ({
    name: t.exposeString('name'),
    description: t.exposeString('description'),
    required: t.boolean({ resolve: (parameter) => Boolean(parameter.required) }),
    allowedValues: t.stringList({ nullable: true, resolve: (parameter) => parameter.allowedValues ?? null }),
  }),
});

builder.objectFields(ServiceInfoRef, (t) => ({
  supportsClientCredentials: t.boolean({
    description: 'True when connectClientCredentials works for this service.',
    resolve: (entry) => Boolean(entry.oauth?.supportsClientCredentials),
  }),
  clientCredentialsParameters: t.field({
    type: [ClientCredentialsParameterRef],
    description: 'Parameters connectClientCredentials needs for this service.',
    resolve: (entry) => entry.oauth?.clientCredentials?.params ?? [],
  }),
}));

const ClientCredentialsParameterInput = builder.inputType('ClientCredentialsParameterInput', {
  description: "A provider-specific parameter of the client credentials request (Box's box_subject_type and box_subject_id).",
  fields: (t) => ({
    name: t.string({ required: true }),
    value: t.string({ required: true }),
  }),
});

const ConnectClientCredentialsInput = builder.inputType('ConnectClientCredentialsInput', {
  fields: (t) => ({
    service: t.field({ type: ServiceEnum, required: true }),
    scopes: t.stringList({ required: false, description: "Default: none, so the provider grants the app's configured scopes." }),
    parameters: t.field({
      type: [ClientCredentialsParameterInput],
      required: false,
      description: 'Parameters the provider needs (see ServiceInfo.clientCredentialsParameters).',
    }),
  }),
});

builder.mutationField('connectClientCredentials', (t) =>
  t.field({
    type: ServiceSecretRef,
    authScopes: { siteOwner: true },
    description:
      "Connect the site to a service as the OAuth app itself (client credentials grant, no user). The token is asked for again whenever it is about to expire. Replaces the site's existing connection to the service.",
    args: { input: t.arg({ type: ConnectClientCredentialsInput, required: true }) },
    resolve: async (_root, { input }, context) => {
      const siteId = siteIdOf(context);
      const row = await connectWithClientCredentials(context.services, siteId, input);
      return catalogView(input.service, row);
    },
  }),
);

const ConnectServiceClientCredentialsInput = builder.inputType('ConnectServiceClientCredentialsInput', {
  fields: (t) => ({
    service: t.string({ required: true, description: 'Any service by its `service: String` form: a catalog key ("box") or "custom:<slug>".' }),
    scopes: t.stringList({ required: false, description: "Default: none, so the provider grants the app's configured scopes." }),
    parameters: t.field({
      type: [ClientCredentialsParameterInput],
      required: false,
      description: 'Parameters the provider needs (see ServiceInfo.clientCredentialsParameters).',
    }),
  }),
});

builder.mutationField('connectServiceClientCredentials', (t) =>
  t.field({
    type: ServiceConnectionRef,
    authScopes: { siteOwner: true },
    description:
      'connectClientCredentials for any service by its `service: String` form ("box" or "custom:<slug>"): connect the site as the OAuth app itself (client credentials grant, no user).',
    args: { input: t.arg({ type: ConnectServiceClientCredentialsInput, required: true }) },
    resolve: async (_root, { input }, context) => {
      const siteId = siteIdOf(context);
      const entry = await context.services.registry.resolve(siteId, input.service);
      const row = await connectWithClientCredentials(context.services, siteId, { ...input, service: entry.key });
      return entryView(entry, row);
    },
  }),
);

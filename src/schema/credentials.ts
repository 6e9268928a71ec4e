// connectCredentials: API_KEY and BASIC services (the catalog's `credentials` section).
import { builder } from '../builder.js';
import { siteIdOf } from '../context.js';
import { parseServiceKey } from '../registry/service-registry.js';
import { ConnectionRef } from './connections.js';

const ConnectCredentialsInput = builder.inputType('ConnectCredentialsInput', {
  fields: (t) => ({
    service: t.string({ required: true, description: 'A catalog key whose authModes include API_KEY or BASIC, e.g. "openai".' }),
    endUser: t.string({ required: false, description: "The end user to connect, in the site's own namespace; omitted: the site itself." }),
    apiKey: t.string({ required: false, description: 'For API_KEY services.' }),
    username: t.string({ required: false, description: 'For BASIC services.' }),
    password: t.string({ required: false, description: 'For BASIC services.' }),
  }),
});

function tryServiceKey(service: string): string {
  try {
    return parseServiceKey(service);
  } catch {
    return '';
  }
}

builder.mutationField('connectCredentials', (t) =>
  t.field({
    type: ConnectionRef,
    authScopes: (_root, args) => ({ $any: { siteOwner: true, connect: tryServiceKey(args.input.service) } }),
    description:
      'Connect a service whose credential is an API key or a Basic user name and password. The credential is checked with the provider when the catalog knows how (a refusal is PROVIDER_ERROR and stores nothing), then stored encrypted; it replaces the owner\'s earlier one.',
    args: { input: t.arg({ type: ConnectCredentialsInput, required: true }) },
    resolve: (_root, { input }, context) => context.services.credentials.connect(siteIdOf(context), input),
  }),
);

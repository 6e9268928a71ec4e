import { builder } from '../builder.js';
import { siteIdOf } from '../context.js';
import { attemptStatus, MAX_WAIT_SECONDS, type AttemptRow } from '../connections/authorization-flow.js';
import { catalogView, entryView } from '../connections/secrets-view.js';
import { siteOwner } from '../connections/connection-store.js';
import { parseServiceKey } from '../registry/service-registry.js';
import { badUserInput } from '../errors.js';
import { customServiceKey } from '../providers/custom.js';
import type { ServiceKey, ServiceName } from '../providers/types.js';
import { ServiceEnum } from './services.js';
import { ServiceConnectionRef, ServiceSecretRef, secretsFor } from './secrets.js';

function tryServiceKeyOf(input: Parameters<typeof serviceKeyOf>[0]): ServiceKey | null {
  try {
    return serviceKeyOf(input);
  } catch {
    return null;
  }
}

/** The service a StartAuthInput names: exactly one of `service`, `customService` and `serviceKey`. */
export function serviceKeyOf(input: {
  service?: ServiceName | null | undefined;
  customService?: string | null | undefined;
  serviceKey?: string | null | undefined;
}): ServiceKey {
  const named = [input.service, input.customService, input.serviceKey].filter((value) => value !== undefined && value !== null);
  if (named.length === 1) {
    if (input.service) return input.service;
    if (input.customService) return customServiceKey(input.customService);
    if (input.serviceKey) return parseServiceKey(input.serviceKey);
  }
  throw badUserInput(
    'Name exactly one of service (a catalog service), customService (the slug of a service this site defined) and serviceKey ("github" or "custom:<slug>").',
    'service',
  );
}

export const AuthAttemptStatusEnum = builder.enumType('AuthAttemptStatus', {
  values: ['PENDING', 'COMPLETED', 'FAILED', 'EXPIRED'] as const,
});

const AuthAttemptRef = builder.prismaObject('AuthAttempt', {
  description: 'One authorization attempt, from startAuth to the provider\'s callback.',
  fields: (t) => ({
    id: t.exposeID('id'),
    service: t.field({ type: ServiceEnum, resolve: (attempt) => attempt.service as ServiceName }),
    status: t.field({ type: AuthAttemptStatusEnum, resolve: (attempt) => attemptStatus(attempt) }),
    error: t.exposeString('error', { nullable: true, description: "The provider's error code when the attempt failed." }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime' }),
    scopes: t.stringList({
      description: 'The scopes requested.',
      resolve: (attempt) => (Array.isArray(attempt.scopes) ? (attempt.scopes as string[]) : []),
    }),
    completedAt: t.expose('completedAt', { type: 'DateTime', nullable: true }),
  }),
});

const StartAuthInput = builder.inputType('StartAuthInput', {
  fields: (t) => ({
    service: t.field({ type: ServiceEnum, required: false, description: 'The catalog service to connect; give this or customService.' }),
    customService: t.string({ required: false, description: 'The slug of a service this site defined (defineCustomService); give this or service.' }),
    serviceKey: t.string({
      required: false,
      description: 'Any service by its `service: String` form: a catalog key ("github") or "custom:<slug>"; instead of service or customService.',
    }),
    scopes: t.stringList({ required: false, description: "Default: the service's default scopes." }),
    returnTo: t.string({ required: false, description: 'Where the browser goes after the gateway\'s callback; must be on an allowed origin.' }),
    redirectUri: t.string({ required: false, description: 'App-handled callback (then call finishAuth); must be on an allowed origin.' }),
    replaceScopes: t.boolean({
      required: false,
      description:
        'When the site is already connected, the new authorization asks for the scopes already granted plus `scopes` (incremental consent). true asks for exactly `scopes`, so scopes not listed are dropped.',
    }),
  }),
});

const StartAuthPayload = builder
  .objectRef<{ authorizationUrl: string; attemptId: string; expiresAt: Date }>('StartAuthPayload')
  .implement({
    fields: (t) => ({
      authorizationUrl: t.exposeString('authorizationUrl'),
      attemptId: t.exposeID('attemptId'),
      expiresAt: t.expose('expiresAt', { type: 'DateTime' }),
    }),
  });

export const FinishAuthInput = builder.inputType('FinishAuthInput', {
  fields: (t) => ({
    state: t.string({ required: true }),
    code: t.string({ required: true }),
    iss: t.string({ required: false }),
  }),
});


builder.queryField('authAttempt', (t) =>
  t.prismaField({
    type: 'AuthAttempt',
    nullable: true,
    authScopes: { site: true },
    description: `Poll an authorization attempt (CLI / ticket flow). waitSeconds long-polls up to ${MAX_WAIT_SECONDS} s.`,
    args: { id: t.arg.id({ required: true }), waitSeconds: t.arg.int({ required: false }) },
    resolve: (_query, _root, args, context): Promise<AttemptRow | null> =>
      context.services.flow.waitForAttempt(siteIdOf(context), String(args.id), args.waitSeconds ?? 0, context.request.signal),
  }),
);

builder.mutationFields((t) => ({
  startAuth: t.field({
    type: StartAuthPayload,
    // A malformed input names no service here; the resolver then says what is wrong with it.
    authScopes: (_root, args) => ({ $any: { siteOwner: true, connect: tryServiceKeyOf(args.input) ?? '' } }),
    description: "Begin provider authorization for the caller's site.",
    args: { input: t.arg({ type: StartAuthInput, required: true }) },
    resolve: (_root, { input }, context) => context.services.flow.start(siteIdOf(context), { ...input, service: serviceKeyOf(input) }),
  }),
  finishAuth: t.field({
    type: ServiceSecretRef,
    authScopes: { siteOwner: true },
    description: "Finish when the provider redirected to the app's own redirectUri (code + state from its query).",
    args: { input: t.arg({ type: FinishAuthInput, required: true }) },
    resolve: async (_root, { input }, context) => {
      const { connection } = await context.services.flow.finish(siteIdOf(context), input);
      return catalogView(connection.service as ServiceName, connection);
    },
  }),
  signOut: t.field({
    type: ServiceSecretRef,
    authScopes: (_root, args) => ({ $any: { siteOwner: true, connect: args.service } }),
    description: 'Revoke at the provider where supported, and forget the tokens.',
    args: { service: t.arg({ type: ServiceEnum, required: true }) },
    resolve: async (_root, { service }, context) => {
      const siteId = siteIdOf(context);
      await context.services.flow.signOut(siteId, service);
      const row = await context.services.store.find({ siteId, ownerType: 'SITE', ownerId: '', accountKey: '' }, service);
      return catalogView(service, row);
    },
  }),
}));

builder.mutationField('signOutService', (t) =>
  t.field({
    type: ServiceConnectionRef,
    authScopes: (_root, args) => ({ $any: { siteOwner: true, connect: tryParse(args.service) } }),
    description: 'signOut for any service by its `service: String` form ("github" or "custom:<slug>"): revoke at the provider where supported, and forget the tokens.',
    args: { service: t.arg.string({ required: true }) },
    resolve: async (_root, { service }, context) => {
      const siteId = siteIdOf(context);
      const entry = await context.services.registry.resolve(siteId, service);
      await context.services.flow.signOut(siteId, entry.key);
      return entryView(entry, await context.services.store.find(siteOwner(siteId), entry.key));
    },
  }),
);

function tryParse(service: string): string {
  try {
    return parseServiceKey(service);
  } catch {
    return '';
  }
}

export { AuthAttemptRef, secretsFor };

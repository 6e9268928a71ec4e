import { builder } from '../builder.js';
import { ownerFor, siteCallerOf, siteIdOf, type GraphQLContext } from '../context.js';
import { endUserOf, validEndUser } from '../connections/owners.js';
import { attemptStatus, MAX_WAIT_SECONDS, type AttemptRow } from '../connections/authorization-flow.js';
import { catalogView, entryView } from '../connections/secrets-view.js';
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
  values: ['PENDING', 'AWAITING_VERIFICATION', 'COMPLETED', 'FAILED', 'EXPIRED'] as const,
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
    endUser: t.string({ nullable: true, description: 'The end user it connects; null for the site itself.', resolve: endUserOf }),
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
    endUser: t.string({
      required: false,
      description:
        "Connect this end user (1 to 128 characters of A-Z a-z 0-9 . _ : @ + | -) instead of the site. A token bound to an end user means that end user.",
    }),
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

const ConfirmEndUserInput = builder.inputType('ConfirmEndUserInput', {
  fields: (t) => ({
    attemptId: t.id({ required: true, description: 'The latchkey_attempt the verify URL received.' }),
    endUser: t.string({ required: true, description: 'The end user logged in to the site in that browser.' }),
  }),
});

export const FinishAuthInput = builder.inputType('FinishAuthInput', {
  fields: (t) => ({
    state: t.string({ required: true }),
    code: t.string({ required: true }),
    iss: t.string({ required: false }),
  }),
});


/** A token limited to some services sees only their attempts: another's reads as unknown (null), without waiting. */
export async function mayPollAttempt(context: GraphQLContext, id: string): Promise<boolean> {
  const { services, siteId } = siteCallerOf(context);
  if (services === null) return true;
  const attempt = await context.services.flow.findAttempt(siteId, id);
  return attempt !== null && (services as readonly string[]).includes(attempt.service);
}

builder.queryField('authAttempt', (t) =>
  t.prismaField({
    type: 'AuthAttempt',
    nullable: true,
    authScopes: { site: true },
    description: `Poll an authorization attempt (CLI / ticket flow). waitSeconds long-polls up to ${MAX_WAIT_SECONDS} s.`,
    args: { id: t.arg.id({ required: true }), waitSeconds: t.arg.int({ required: false }) },
    resolve: async (_query, _root, args, context): Promise<AttemptRow | null> =>
      (await mayPollAttempt(context, String(args.id)))
        ? context.services.flow.waitForAttempt(siteIdOf(context), String(args.id), args.waitSeconds ?? 0, context.request.signal)
        : null,
  }),
);

builder.mutationFields((t) => ({
  startAuth: t.field({
    type: StartAuthPayload,
    // A malformed input names no service here; the resolver then says what is wrong with it.
    authScopes: (_root, args) => ({ $any: { siteOwner: true, connect: tryServiceKeyOf(args.input) ?? '' } }),
    description: "Begin provider authorization for the caller's site.",
    args: { input: t.arg({ type: StartAuthInput, required: true }) },
    resolve: (_root, { input }, context) =>
      context.services.flow.start(siteIdOf(context), { ...input, service: serviceKeyOf(input), owner: ownerFor(context, input.endUser) }),
  }),
  finishAuth: t.field({
    type: ServiceSecretRef,
    authScopes: { siteOwner: true },
    description: "Finish when the provider redirected to the app's own redirectUri (code + state from its query).",
    args: { input: t.arg({ type: FinishAuthInput, required: true }) },
    resolve: async (_root, { input }, context) => {
      const { attempt, connection } = await context.services.flow.finish(siteIdOf(context), input);
      // null while an end-user attempt awaits verification (confirmEndUser)
      return catalogView(attempt.service as ServiceName, connection);
    },
  }),
  signOut: t.field({
    type: ServiceSecretRef,
    authScopes: (_root, args) => ({ $any: { siteOwner: true, connect: args.service } }),
    description: 'Revoke at the provider where supported, and forget the tokens.',
    args: {
      service: t.arg({ type: ServiceEnum, required: true }),
      endUser: t.arg.string({ required: false, description: 'Sign this end user out instead of the site.' }),
      account: t.arg.string({ required: false, description: 'Which account; default the one reads use (the most recently connected usable one).' }),
    },
    resolve: async (_root, { service, endUser, account }, context) => {
      const owner = ownerFor(context, endUser);
      const row = await context.services.store.find(owner, service, account);
      const revocation = row ? await context.services.flow.disconnect(row) : null;
      return { ...catalogView(service, row ? await context.services.store.findById(row.id) : null), revocation };
    },
  }),
  confirmEndUser: t.prismaField({
    type: 'AuthAttempt',
    authScopes: { siteOwner: true },
    description:
      'End-user verification: the site\'s backend, which knows who is logged in, confirms the end user who finished an attempt that awaits verification. The same end user → COMPLETED and the connection is stored; another → FAILED, nothing stored, FORBIDDEN.',
    args: { input: t.arg({ type: ConfirmEndUserInput, required: true }) },
    resolve: async (_query, _root, { input }, context) => {
      const { attempt } = await context.services.flow.confirmEndUser(siteIdOf(context), String(input.attemptId), validEndUser(input.endUser));
      return attempt;
    },
  }),
}));

builder.mutationField('signOutService', (t) =>
  t.field({
    type: ServiceConnectionRef,
    authScopes: (_root, args) => ({ $any: { siteOwner: true, connect: tryParse(args.service) } }),
    description: 'signOut for any service by its `service: String` form ("github" or "custom:<slug>"): revoke at the provider where supported, and forget the tokens.',
    args: {
      service: t.arg.string({ required: true }),
      endUser: t.arg.string({ required: false, description: 'Sign this end user out instead of the site.' }),
      account: t.arg.string({ required: false, description: 'Which account; default the one reads use (the most recently connected usable one).' }),
    },
    resolve: async (_root, { service, endUser, account }, context) => {
      const siteId = siteIdOf(context);
      const entry = await context.services.registry.resolve(siteId, service);
      const owner = ownerFor(context, endUser);
      const row = await context.services.store.find(owner, entry.key, account);
      const revocation = row ? await context.services.flow.disconnect(row) : null;
      return { ...entryView(entry, row ? await context.services.store.findById(row.id) : null), revocation };
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

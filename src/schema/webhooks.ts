import { builder } from '../builder.js';
import { siteIdOf } from '../context.js';
import { eventsOf, isWebhookEventType, type WebhookEventType } from '../webhooks/events.js';
import { DEFAULT_LISTED_DELIVERIES, DEFAULT_ROTATION_OVERLAP_SECONDS, type WebhookEndpointRow } from '../webhooks/webhooks.js';

const WebhookEventTypeEnum = builder.enumType('WebhookEventType', {
  description: 'What happened to a connection. The payload\'s "type" is the lower-case, dotted name.',
  values: {
    CONNECTION_CREATED: { value: 'connection.created', description: 'connection.created: a service was connected (or connected again).' },
    CONNECTION_REFRESHED_AFTER_FAILURE: {
      value: 'connection.refreshed_after_failure',
      description: 'connection.refreshed_after_failure: a refresh succeeded after earlier ones had failed.',
    },
    CONNECTION_NEEDS_REAUTH: { value: 'connection.needs_reauth', description: 'connection.needs_reauth: the provider refused the refresh; connect again.' },
    CONNECTION_REVOKED: { value: 'connection.revoked', description: 'connection.revoked: the site signed out of the service.' },
    CONNECTION_REVOCATION_FAILED: {
      value: 'connection.revocation_failed',
      description:
        'connection.revocation_failed: after a sign-out the provider could not be made to revoke the tokens (it refused, or kept failing until the retries ran out); they may still be valid there. The payload\'s reason says why.',
    },
    WEBHOOK_ENDPOINT_DISABLED: {
      value: 'webhook.endpoint_disabled',
      description: "webhook.endpoint_disabled: another of the site's endpoints kept failing and was disabled; re-enable it with enableWebhookEndpoint.",
    },
  } as const,
});

const WebhookDeliveryStatusEnum = builder.enumType('WebhookDeliveryStatus', {
  values: {
    PENDING: { description: 'Waiting for its first attempt or for a retry.' },
    DELIVERED: { description: 'The receiver answered 2xx.' },
    FAILED: { description: 'Gave up after the last retry (or the URL is no longer allowed).' },
  } as const,
});

const WebhookEndpointRef = builder.prismaObject('WebhookEndpoint', {
  description: 'A URL that receives signed webhooks. Its signing secret is shown only when it is created.',
  fields: (t) => ({
    id: t.exposeID('id'),
    url: t.exposeString('url'),
    events: t.field({ type: [WebhookEventTypeEnum], resolve: (endpoint) => eventsOf(endpoint) }),
    enabled: t.exposeBoolean('enabled', { description: 'False once the gateway disabled it for failing: nothing is sent until enableWebhookEndpoint.' }),
    disabled: t.boolean({ description: 'The gateway disabled it because its deliveries kept failing.', resolve: (endpoint) => !endpoint.enabled }),
    disabledAt: t.expose('disabledAt', { type: 'DateTime', nullable: true }),
    disabledReason: t.exposeString('disabledReason', { nullable: true, description: 'How long it failed and the last error.' }),
    consecutiveFailures: t.exposeInt('consecutiveFailures', { description: 'Failed attempts since the last successful one.' }),
    failingSince: t.expose('failingSince', { type: 'DateTime', nullable: true, description: 'When the current run of failed attempts began.' }),
    previousSecretExpiresAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'Until when deliveries are also signed with the secret replaced by the last rotateWebhookSecret (null: only the current one).',
      resolve: (endpoint) => (endpoint.previousSecretExpiresAt && endpoint.previousSecretExpiresAt.getTime() > Date.now() ? endpoint.previousSecretExpiresAt : null),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

const WebhookDeliveryRef = builder.prismaObject('WebhookDelivery', {
  description: 'One event sent (or to be sent) to one endpoint: the delivery log.',
  fields: (t) => ({
    id: t.exposeID('id'),
    endpointId: t.exposeID('endpointId'),
    event: t.field({
      type: WebhookEventTypeEnum,
      resolve: (delivery) => (isWebhookEventType(delivery.event) ? delivery.event : 'connection.created'),
    }),
    status: t.field({ type: WebhookDeliveryStatusEnum, resolve: (delivery) => delivery.status as 'PENDING' }),
    attempts: t.exposeInt('attempts'),
    nextAttemptAt: t.expose('nextAttemptAt', { type: 'DateTime', nullable: true }),
    lastStatusCode: t.exposeInt('lastStatusCode', { nullable: true, description: "The receiver's HTTP status on the last attempt." }),
    lastError: t.exposeString('lastError', { nullable: true }),
    payload: t.exposeString('payload', { description: 'The JSON body exactly as signed and sent.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    deliveredAt: t.expose('deliveredAt', { type: 'DateTime', nullable: true }),
  }),
});

const CreateWebhookEndpointInput = builder.inputType('CreateWebhookEndpointInput', {
  fields: (t) => ({
    url: t.string({ required: true, description: 'https:// (http:// only for loopback hosts); no credentials, no private addresses.' }),
    events: t.field({ type: [WebhookEventTypeEnum], required: false, description: 'Default: every event.' }),
  }),
});

const CreateWebhookEndpointPayload = builder
  .objectRef<{ endpoint: WebhookEndpointRow; secret: string }>('CreateWebhookEndpointPayload')
  .implement({
    fields: (t) => ({
      endpoint: t.field({ type: WebhookEndpointRef, resolve: (payload) => payload.endpoint }),
      secret: t.exposeString('secret', {
        description: 'The signing secret ("whsec_…"), shown only here: verify webhook-signature with it (Standard Webhooks).',
      }),
    }),
  });


const RotateWebhookSecretPayload = builder
  .objectRef<{ endpoint: WebhookEndpointRow; secret: string }>('RotateWebhookSecretPayload')
  .implement({
    fields: (t) => ({
      endpoint: t.field({ type: WebhookEndpointRef, resolve: (payload) => payload.endpoint }),
      secret: t.exposeString('secret', {
        description: 'The new signing secret ("whsec_…"), shown only here. Until endpoint.previousSecretExpiresAt, deliveries carry a signature with the old secret too.',
      }),
    }),
  });

builder.queryFields((t) => ({
  webhookEndpoints: t.field({
    type: [WebhookEndpointRef],
    authScopes: { siteOwner: true },
    description: "The site's webhook endpoints.",
    resolve: (_root, _args, context) => context.services.webhooks.listEndpoints(siteIdOf(context)),
  }),
  webhookDeliveries: t.field({
    type: [WebhookDeliveryRef],
    authScopes: { siteOwner: true },
    description: 'The delivery log of an endpoint, newest first.',
    args: {
      endpointId: t.arg.id({ required: true }),
      first: t.arg.int({ required: false, defaultValue: DEFAULT_LISTED_DELIVERIES, description: 'At most 100.' }),
    },
    resolve: (_root, args, context) =>
      context.services.webhooks.listDeliveries(siteIdOf(context), String(args.endpointId), args.first ?? DEFAULT_LISTED_DELIVERIES),
  }),
}));

builder.mutationFields((t) => ({
  createWebhookEndpoint: t.field({
    type: CreateWebhookEndpointPayload,
    authScopes: { siteOwner: true },
    description: 'Register a URL for signed webhooks; the signing secret is shown only in the answer.',
    args: { input: t.arg({ type: CreateWebhookEndpointInput, required: true }) },
    resolve: (_root, { input }, context) =>
      context.services.webhooks.createEndpoint(siteIdOf(context), { url: input.url, events: input.events as WebhookEventType[] | null | undefined }),
  }),
  deleteWebhookEndpoint: t.field({
    type: WebhookEndpointRef,
    authScopes: { siteOwner: true },
    description: 'Delete an endpoint and its delivery log; returns the deleted endpoint.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, context) => context.services.webhooks.deleteEndpoint(siteIdOf(context), String(id)),
  }),
  rotateWebhookSecret: t.field({
    type: RotateWebhookSecretPayload,
    authScopes: { siteOwner: true },
    description:
      'Give an endpoint a new signing secret, shown only in the answer. For overlapSeconds (default 86400, at most 604800; 0: none) ' +
      'each delivery carries a signature with the old secret too, so receivers verifying with either keep working while they switch.',
    args: {
      id: t.arg.id({ required: true }),
      overlapSeconds: t.arg.int({ required: false, defaultValue: DEFAULT_ROTATION_OVERLAP_SECONDS }),
    },
    resolve: (_root, args, context) =>
      context.services.webhooks.rotateSecret(siteIdOf(context), String(args.id), args.overlapSeconds ?? DEFAULT_ROTATION_OVERLAP_SECONDS),
  }),
  enableWebhookEndpoint: t.field({
    type: WebhookEndpointRef,
    authScopes: { siteOwner: true },
    description: 'Turn an endpoint back on after the gateway disabled it for failing (its failure count starts again). Redeliver what it missed with redeliverWebhook.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, context) => context.services.webhooks.enableEndpoint(siteIdOf(context), String(id)),
  }),
  redeliverWebhook: t.field({
    type: WebhookDeliveryRef,
    authScopes: { siteOwner: true },
    description: 'Send a delivery\'s message again, as a new delivery (same body and webhook-id, fresh signature).',
    args: { deliveryId: t.arg.id({ required: true }) },
    resolve: (_root, { deliveryId }, context) => context.services.webhooks.redeliver(siteIdOf(context), String(deliveryId)),
  }),
}));

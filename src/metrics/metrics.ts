// The gateway's Prometheus metrics (prom-client), one registry per gateway instance. Other code
// calls the small functions below through the services object; only this file imports prom-client.
// Labels are bounded sets (service keys, outcomes, status classes), never caller-chosen strings,
// except operation names, which are capped.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Database } from '../db/database.js';
import { metricsLabelOf } from '../registry/service-keys.js';

export type RefreshResult = 'ok' | 'transient' | 'invalid_grant' | 'error';

export interface Metrics {
  graphqlRequest(operation: string, outcome: string, seconds: number): void;
  tokenRead(service: string, outcome: 'ok' | 'not_logged_in'): void;
  refresh(service: string, result: RefreshResult): void;
  upstreamCall(service: string, status: number, seconds: number): void;
  upstreamRateLimited(service: string): void;
  quotaLeft(service: string, host: string, remaining: number): void;
  rateLimitRejected(scope: string): void;
  webhookDelivery(outcome: 'delivered' | 'retry' | 'failed', ageSeconds: number): void;
  webhookEndpointDisabled(): void;
  sweep(lagSeconds: number, refreshed: number): void;
  /** A revocation attempt at the provider (at sign-out or from the queue) and how it ended. */
  revocation(service: string, result: RevocationResult): void;
}

export type RevocationResult = 'revoked' | 'pending' | 'not_supported' | 'refused' | 'given_up';

/** A service label that cannot grow with the number of sites: every custom service counts as one. */
export const serviceLabelOf = metricsLabelOf;

const MAX_OPERATION_NAMES = 200;
const OPERATION_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

export interface GatewayMetrics extends Metrics {
  registry: Registry;
  /** The text exposition, with the scrape-time gauges read first. */
  scrape(): Promise<{ contentType: string; body: string }>;
}

export function createMetrics(deps: { db?: Database; defaultMetrics?: boolean } = {}): GatewayMetrics {
  const registry = new Registry();
  if (deps.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'latchkey_process_' });
  const registers = [registry];
  const seenOperations = new Set<string>();

  const graphqlRequests = new Counter({ name: 'latchkey_graphql_requests_total', help: 'GraphQL requests by operation name and outcome (ok or the first error code).', labelNames: ['operation', 'outcome'], registers });
  const graphqlDuration = new Histogram({
    name: 'latchkey_graphql_request_duration_seconds',
    help: 'GraphQL request latency by operation name.',
    labelNames: ['operation'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const tokenReads = new Counter({ name: 'latchkey_token_reads_total', help: 'Service tokens handed out (bearerToken read) by service and outcome.', labelNames: ['service', 'outcome'], registers });
  const refreshes = new Counter({ name: 'latchkey_token_refreshes_total', help: 'Token refreshes by service and result (ok, transient, invalid_grant, error).', labelNames: ['service', 'result'], registers });
  const upstreamCalls = new Counter({ name: 'latchkey_upstream_calls_total', help: 'Pass-through calls to provider APIs by service and HTTP status class.', labelNames: ['service', 'status'], registers });
  const upstreamDuration = new Histogram({ name: 'latchkey_upstream_call_duration_seconds', help: 'Pass-through call latency by service.', labelNames: ['service'], buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers });
  const upstream429 = new Counter({ name: 'latchkey_upstream_rate_limited_total', help: 'Provider answers that were a rate limit (429, or GitHub\'s 403 for an exhausted or secondary limit) by service.', labelNames: ['service'], registers });
  const quota = new Gauge({ name: 'latchkey_upstream_quota_remaining', help: 'The quota the provider last reported as remaining, by service and API host.', labelNames: ['service', 'host'], registers });
  const rateLimitRejections = new Counter({ name: 'latchkey_rate_limit_rejections_total', help: 'Requests the gateway answered RATE_LIMITED itself, by scope.', labelNames: ['scope'], registers });
  const webhookDeliveries = new Counter({ name: 'latchkey_webhook_deliveries_total', help: 'Webhook delivery attempts by outcome (delivered, retry, failed).', labelNames: ['outcome'], registers });
  const webhookAge = new Histogram({ name: 'latchkey_webhook_delivery_age_seconds', help: 'Time from an event to its delivery attempt.', labelNames: ['outcome'], buckets: [0.1, 1, 5, 30, 60, 300, 900, 3600, 21600, 86400], registers });
  const endpointsDisabled = new Counter({ name: 'latchkey_webhook_endpoints_disabled_total', help: 'Webhook endpoints the gateway disabled because their deliveries kept failing.', registers });
  const sweeperLag = new Gauge({ name: 'latchkey_sweeper_lag_seconds', help: 'How far past its expiry the last sweep reached its most overdue connection (0: on time).', registers });
  const sweeps = new Counter({ name: 'latchkey_sweeper_runs_total', help: 'Refresh sweeps run.', registers });
  const swept = new Counter({ name: 'latchkey_sweeper_refreshed_total', help: 'Connections refreshed by the sweeper.', registers });
  const revocations = new Counter({
    name: 'latchkey_revocations_total',
    help: 'Revocation attempts at providers by service and result (revoked, pending: queued for a retry, not_supported, refused, given_up).',
    labelNames: ['service', 'result'],
    registers,
  });
  const lastSweep = new Gauge({ name: 'latchkey_sweeper_last_run_timestamp_seconds', help: 'When the last sweep finished (Unix time).', registers });

  const db = deps.db;
  if (db) {
    // Read at scrape time: two grouped counts over indexed columns.
    new Gauge({
      name: 'latchkey_connections',
      help: 'Stored connections by status.',
      labelNames: ['status'],
      registers,
      async collect() {
        this.reset();
        for (const status of ['ACTIVE', 'REFRESHING', 'NEEDS_REAUTH', 'REVOKED']) this.set({ status }, 0);
        const groups = await db.connection.groupBy({ by: ['status'], _count: { _all: true } });
        for (const group of groups) this.set({ status: group.status }, group._count._all);
      },
    });
    new Gauge({
      name: 'latchkey_revocation_queue_depth',
      help: 'Revocations waiting in the queue for a retry at the provider.',
      registers,
      async collect() {
        this.set(await db.pendingRevocation.count());
      },
    });
    new Gauge({
      name: 'latchkey_webhook_oldest_pending_seconds',
      help: 'Age of the oldest webhook delivery still waiting to be delivered (0: none).',
      registers,
      async collect() {
        const oldest = await db.webhookDelivery.findFirst({ where: { status: 'PENDING' }, orderBy: { createdAt: 'asc' }, select: { createdAt: true } });
        this.set(oldest ? Math.max(0, (Date.now() - oldest.createdAt.getTime()) / 1000) : 0);
      },
    });
  }

  return {
    registry,
    graphqlRequest(operation, outcome, seconds) {
      let name = OPERATION_NAME.test(operation) ? operation : 'other';
      if (!seenOperations.has(name)) {
        if (seenOperations.size >= MAX_OPERATION_NAMES) name = 'other';
        else seenOperations.add(name);
      }
      graphqlRequests.inc({ operation: name, outcome });
      graphqlDuration.observe({ operation: name }, seconds);
    },
    tokenRead: (service, outcome) => tokenReads.inc({ service: serviceLabelOf(service), outcome }),
    refresh: (service, result) => refreshes.inc({ service: serviceLabelOf(service), result }),
    upstreamCall(service, status, seconds) {
      const label = serviceLabelOf(service);
      upstreamCalls.inc({ service: label, status: `${Math.floor(status / 100)}xx` });
      upstreamDuration.observe({ service: label }, seconds);
    },
    upstreamRateLimited: (service) => upstream429.inc({ service: serviceLabelOf(service) }),
    quotaLeft: (service, host, remaining) => quota.set({ service: serviceLabelOf(service), host }, remaining),
    rateLimitRejected: (scope) => rateLimitRejections.inc({ scope }),
    webhookDelivery(outcome, ageSeconds) {
      webhookDeliveries.inc({ outcome });
      webhookAge.observe({ outcome }, Math.max(0, ageSeconds));
    },
    webhookEndpointDisabled() {
      endpointsDisabled.inc();
    },
    sweep(lagSeconds, refreshed) {
      sweeps.inc();
      swept.inc(refreshed);
      sweeperLag.set(Math.max(0, lagSeconds));
      lastSweep.set(Date.now() / 1000);
    },
    revocation: (service, result) => revocations.inc({ service: serviceLabelOf(service), result }),
    async scrape() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}

/** For code built without a gateway (tests, one-off commands): counts nothing. */
export const noMetrics: Metrics = {
  graphqlRequest() {},
  tokenRead() {},
  refresh() {},
  upstreamCall() {},
  upstreamRateLimited() {},
  quotaLeft() {},
  rateLimitRejected() {},
  webhookDelivery() {},
  webhookEndpointDisabled() {},
  sweep() {},
  revocation() {},
};

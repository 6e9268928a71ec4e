// Optional OpenTelemetry tracing, through real gateway processes: with OTEL_EXPORTER_OTLP_ENDPOINT
// set, a local OTLP/HTTP receiver (a tiny server here) gets the spans of a GraphQL request, with the
// database queries and the upstream call it made in the same trace, and no token, secret or URL
// query anywhere in them; without it, no OpenTelemetry module is even loaded.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { spawnGateway, type GatewayProcess } from './support/gateway-process.js';
import { tracingEnabled } from '../src/telemetry/tracing.js';

interface ExportedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: Record<string, unknown>;
}

const folder = mkdtempSync(join(tmpdir(), 'latchkey-tracing-'));
const recorder = fileURLToPath(new URL('./support/record-modules.mjs', import.meta.url));
const adminToken = `admin-${randomBytes(16).toString('hex')}`;
const encryptionKey = randomBytes(32).toString('base64');
const clientSecret = `client-secret-${randomBytes(12).toString('hex')}`;
const querySecret = `query-secret-${randomBytes(12).toString('hex')}`;

let collector: Server;
let collectorUrl: string;
const bodies: string[] = [];
let upstream: Server;
let upstreamUrl: string;
const gateways: GatewayProcess[] = [];

function spans(): ExportedSpan[] {
  const all: ExportedSpan[] = [];
  for (const body of bodies) {
    for (const resource of JSON.parse(body).resourceSpans ?? []) {
      for (const scope of resource.scopeSpans ?? []) {
        for (const span of scope.spans ?? []) {
          const attributes = Object.fromEntries(
            (span.attributes ?? []).map((attribute: { key: string; value: Record<string, unknown> }) => [attribute.key, Object.values(attribute.value)[0]]),
          );
          all.push({ traceId: span.traceId, spanId: span.spanId, parentSpanId: span.parentSpanId || undefined, name: span.name, attributes });
        }
      }
    }
  }
  return all;
}

const listen = (server: Server) => new Promise<string>((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));

beforeAll(async () => {
  collector = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.url === '/v1/traces') bodies.push(Buffer.concat(chunks).toString('utf8'));
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  collectorUrl = await listen(collector);
  // The "provider": any answer will do, the gateway's call to it is what is traced.
  upstream = createServer((_request, response) => response.writeHead(404, { 'content-type': 'application/json' }).end('{}'));
  upstreamUrl = await listen(upstream);
});

afterAll(async () => {
  await Promise.all(gateways.map((gateway) => gateway.stop()));
  await Promise.all([collector, upstream].map((server) => new Promise((resolve) => server?.close(resolve))));
  rmSync(folder, { recursive: true, force: true });
});

function gatewayEnv(name: string): Record<string, string> {
  return {
    DATABASE_URL: `file:${join(folder, `${name}.db`)}`,
    LATCHKEY_ENCRYPTION_KEY: encryptionKey,
    LATCHKEY_ADMIN_TOKEN: adminToken,
    LATCHKEY_CUSTOM_SERVICE_ALLOW_LOOPBACK: 'true',
    LATCHKEY_LOG_LEVEL: 'warn',
  };
}

describe('OpenTelemetry tracing', () => {
  it('is off unless asked for, with the standard variables or LATCHKEY_OTEL_ENABLED', () => {
    expect(tracingEnabled({})).toBe(false);
    expect(tracingEnabled({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(true);
    expect(tracingEnabled({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })).toBe(true);
    expect(tracingEnabled({ OTEL_TRACES_EXPORTER: 'otlp' })).toBe(true);
    expect(tracingEnabled({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(false);
    expect(tracingEnabled({ LATCHKEY_OTEL_ENABLED: 'true' })).toBe(true);
    expect(tracingEnabled({ LATCHKEY_OTEL_ENABLED: 'false', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(false);
    expect(tracingEnabled({ OTEL_SDK_DISABLED: 'true', LATCHKEY_OTEL_ENABLED: 'true' })).toBe(false);
  });

  it('exports spans of a GraphQL request with its database and upstream calls in one trace, and no secret', async () => {
    const gateway = await spawnGateway({ ...gatewayEnv('on'), OTEL_EXPORTER_OTLP_ENDPOINT: collectorUrl, OTEL_BSP_SCHEDULE_DELAY: '100' });
    gateways.push(gateway);
    const created = await gateway.gql(
      'mutation CreateTracedSite($input: CreateSiteInput!) { createSite(input: $input) { siteToken site { id } } }',
      { input: { name: 'Traced', allowedOrigins: ['http://app.test:3000'] } },
      adminToken,
    );
    expect(created.body.errors).toBeUndefined();
    const siteToken = created.body.data.createSite.siteToken as string;
    // The gateway reads the discovery document from the "provider" while answering this mutation.
    await gateway.gql(
      `mutation DefineTraced { defineCustomService(input: {
        slug: "traced", friendlyServiceName: "Traced", clientId: "traced-client", clientSecret: "${clientSecret}",
        discoveryUrl: "${upstreamUrl}/.well-known/openid-configuration?api_key=${querySecret}"
      }) { slug } }`,
      undefined,
      siteToken,
    );
    await gateway.gql('query ReadSecrets { secrets { github { isLoggedIn bearerToken } } }', undefined, siteToken);

    let define: ExportedSpan | undefined;
    await vi.waitFor(
      () => {
        define = spans().find((span) => span.name === 'graphql.mutation DefineTraced');
        expect(define).toBeDefined();
        expect(spans().find((span) => span.name === 'graphql.query ReadSecrets')).toBeDefined();
        expect(spans().some((span) => span.traceId === define!.traceId && span.attributes['server.address'] === '127.0.0.1')).toBe(true);
      },
      { timeout: 20_000, interval: 100 },
    );
    const trace = spans().filter((span) => span.traceId === define!.traceId);
    expect(define!.attributes).toMatchObject({ 'graphql.operation.type': 'mutation', 'graphql.operation.name': 'DefineTraced' });
    // The HTTP request is the root; GraphQL execution, queries and the upstream call are inside it.
    const root = trace.find((span) => !span.parentSpanId);
    expect(root).toMatchObject({ name: 'POST /graphql', attributes: { 'http.request.method': 'POST', 'http.route': '/graphql', 'http.response.status_code': 200 } });
    expect(define!.parentSpanId).toBe(root!.spanId);
    const upstreamCall = trace.find((span) => span.attributes['server.address'] === '127.0.0.1')!;
    expect(upstreamCall.name).toBe('GET 127.0.0.1');
    expect(upstreamCall.attributes).toMatchObject({ 'http.request.method': 'GET', 'http.response.status_code': 404, 'server.port': Number(new URL(upstreamUrl).port) });
    const created_ = spans().find((span) => span.name === 'graphql.mutation CreateTracedSite')!;
    const inserts = spans().filter((span) => span.parentSpanId === created_.spanId && span.attributes['db.system.name'] === 'sqlite');
    expect(inserts.map((span) => span.name)).toEqual(expect.arrayContaining(['INSERT Site', 'INSERT SiteToken']));
    // Queries outside any request (the webhook worker's polling) make no traces of their own.
    expect(spans().filter((span) => span.attributes['db.system.name'] && !span.parentSpanId)).toEqual([]);

    // Nothing secret in any exported byte: tokens, the client secret, the URL's query, the key.
    const exported = bodies.join('\n');
    for (const secret of [adminToken, siteToken, clientSecret, querySecret, encryptionKey, 'api_key']) expect(exported).not.toContain(secret);
    await gateway.stop();
  });

  it('loads no OpenTelemetry module and exports nothing when off', async () => {
    const modulesFile = join(folder, 'off.modules');
    const before = bodies.length;
    const gateway = await spawnGateway({ ...gatewayEnv('off'), NODE_OPTIONS: `--import=${recorder}`, LATCHKEY_TEST_MODULES_FILE: modulesFile });
    gateways.push(gateway);
    const created = await gateway.gql('mutation { createSite(input: { name: "Untraced" }) { site { id } } }', undefined, adminToken);
    expect(created.body.errors).toBeUndefined();
    gateway.child.kill('SIGUSR2');
    await vi.waitFor(() => expect(readFileSync(modulesFile, 'utf8')).toContain('graphql-yoga'), { timeout: 5000 });
    const loaded = readFileSync(modulesFile, 'utf8').split('\n');
    // prom-client's process CPU metric requires @opentelemetry/api (the no-op API, for exemplars)
    // whenever /metrics is set up, so that package alone may load; no SDK, exporter or our own
    // tracing module may.
    expect(loaded.filter((url) => (url.includes('/@opentelemetry/') && !url.includes('/@opentelemetry/api/')) || url.includes('/telemetry/otel.'))).toEqual([]);
    await gateway.stop();
    expect(bodies.length).toBe(before);
  });
});

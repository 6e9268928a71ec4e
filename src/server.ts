import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { openDatabase, migrateDatabase, type Database } from './db/database.js';
import { createLatchkey, MAX_BODY_BYTES, type Latchkey } from './app.js';
import { defaultRetention, startRetention } from './retention.js';
import { createRefreshSweeper } from './connections/refresh-sweeper.js';
import type { GatewayMetrics } from './metrics/metrics.js';
import { activeTracer } from './telemetry/tracing.js';

/** Metrics on a listener of their own (LATCHKEY_METRICS_PORT): no token, so bind it where only the scraper reaches. */
async function startMetricsServer(metrics: GatewayMetrics, port: number, host: string): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || (request.url ?? '/').split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not Found: GET /metrics\n');
      return;
    }
    metrics.scrape().then(
      ({ contentType, body }) => response.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' }).end(body),
      () => response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('metrics could not be collected\n'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return { server, url: `http://${host.includes(':') ? `[${host}]` : host}:${address.port}/metrics` };
}
import { verifyEncryptionKeys } from './crypto/key-check.js';

export interface RunningGateway extends Latchkey {
  server: Server;
  url: string;
  /** The metrics listener's URL when LATCHKEY_METRICS_PORT is set. */
  metricsUrl: string | undefined;
  db: Database;
  close(): Promise<void>;
}

/** Migrates the database, then serves the gateway on config.host:config.port. */
export async function startGateway(config: Config, logger: Logger = createLogger(config.logLevel)): Promise<RunningGateway> {
  await migrateDatabase(config.databaseUrl, { log: (message) => logger.info(message) });
  const db = openDatabase(config.databaseUrl);
  const latchkey = createLatchkey(config, db, logger);
  try {
    await verifyEncryptionKeys(db, latchkey.services.keyring);
  } catch (error) {
    await latchkey.rateLimiters.close();
    await db.$disconnect();
    throw error;
  }
  const sweeper = createRefreshSweeper(latchkey.services, {
    intervalSeconds: config.sweepIntervalSeconds,
    lookAheadSeconds: config.sweepLookAheadSeconds,
    concurrency: config.sweepConcurrency,
    leaseSeconds: config.providerTimeoutSeconds + 5,
  });
  const server = createServer((request, response) => {
    // The body limit is enforced from Content-Length before anything is read; a body of unknown
    // length (chunked) could only be limited after buffering it, so it is refused up front.
    if (request.method === 'POST' && request.headers['content-length'] === undefined) {
      response
        .writeHead(411, { 'content-type': 'application/json; charset=utf-8', connection: 'close' })
        .end(JSON.stringify({ errors: [{ message: `Send the request body with a Content-Length (at most ${MAX_BODY_BYTES} bytes).`, extensions: { code: 'BAD_USER_INPUT' } }] }));
      request.resume();
      return;
    }
    // A client the limiters already refused gets the same 429 without a pass through yoga; any other
    // request waits for its caller's turn (src/http/fair-share.ts).
    const admit = () => latchkey.fairShare.admit(request, response, () => serve(request, response));
    if (!latchkey.edge.handle(request, response, admit)) admit();
  });
  const serve = (request: IncomingMessage, response: ServerResponse) => {
    const tracer = activeTracer();
    if (!tracer) {
      void latchkey.yoga(request, response);
      return;
    }
    // The path's first segments only: later ones can be a launch key, the query an authorization code.
    const path = (request.url ?? '/').split('?')[0]!;
    const route = path.split('/').slice(0, path.startsWith('/oauth/') ? 3 : 2).join('/') || '/';
    void tracer.inSpan(`${request.method ?? 'GET'} ${route}`, { 'http.request.method': request.method ?? 'GET', 'http.route': route }, (span) =>
      new Promise<void>((resolve) => {
        response.once('close', () => {
          span.setAttributes({ 'http.response.status_code': response.statusCode });
          if (response.statusCode >= 500) span.fail(`HTTP ${response.statusCode}`);
          resolve();
        });
        void latchkey.yoga(request, response);
      }),
    );
  };
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}`;
  const metricsServer = config.metrics.port === undefined ? undefined : await startMetricsServer(latchkey.services.metrics, config.metrics.port, config.metrics.host);
  latchkey.services.webhooks.worker.start();
  latchkey.services.revocations.start();
  sweeper.start();
  const stopRetention = startRetention(db, logger, { ...defaultRetention, auditDays: config.auditRetentionDays });
  return {
    ...latchkey,
    server,
    url,
    metricsUrl: metricsServer?.url,
    db,
    async close() {
      stopRetention();
      // Each step is bounded: a provider or database that never answers must not keep a stopping
      // gateway (or a test run) alive; what was cut short is logged.
      const step = (name: string, work: () => Promise<unknown>) => boundedStep(name, work, CLOSE_STEP_TIMEOUT_MS, logger);
      await step('sweeper', () => sweeper.stop());
      await step('revocation queue', () => latchkey.services.revocations.stop());
      await step('webhook worker', () => latchkey.services.webhooks.worker.stop());
      await step('http server', () => closeServer(server));
      if (metricsServer) await step('metrics server', () => closeServer(metricsServer.server));
      await step('pass-through pools', () => latchkey.services.passthrough.close());
      await step('rate limiters', () => latchkey.rateLimiters.close());
      await step('database', () => db.$disconnect());
    },
  };
}

const CLOSE_STEP_TIMEOUT_MS = 10_000;

function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** Runs one shutdown step, giving up (with a log line) after `timeoutMs` instead of waiting forever. */
export async function boundedStep(name: string, work: () => Promise<unknown>, timeoutMs: number, logger: Pick<Logger, 'warn'>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
    timer.unref();
  });
  try {
    const outcome = await Promise.race([work().then(() => 'done' as const), timedOut]);
    if (outcome === 'timeout') logger.warn('shutdown step did not finish in time; going on without it', { step: name, timeoutMs });
  } catch (error) {
    logger.warn('shutdown step failed; going on', { step: name, reason: error instanceof Error ? error.message : 'unknown' });
  } finally {
    clearTimeout(timer);
  }
}

// `latchkey serve` once the command is known: loads the configuration, starts the gateway and
// stops it on SIGINT/SIGTERM. The build also bundles this module on its own as CommonJS
// (dist/bundle/gateway.cjs), which src/gateway-loader.ts runs with a V8 code cache.
import { developmentKeyWarning, loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { startGateway } from './server.js';
import { databaseProviderFromUrl, redactDatabaseUrl, sqliteFilePath } from './db/database.js';
import { latchkeyVersion, startTracing, tracingEnabled } from './telemetry/tracing.js';

/** Serves until SIGINT/SIGTERM; resolves once the gateway listens. */
export async function serveCommand(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const config = loadConfig(env);
  const logger = createLogger(config.logLevel);
  const keyWarning = developmentKeyWarning(config);
  if (keyWarning) logger.warn(keyWarning);
  const database = databaseProviderFromUrl(config.databaseUrl) === 'sqlite' ? sqliteFilePath(config.databaseUrl) : redactDatabaseUrl(config.databaseUrl);
  let tracing: Awaited<ReturnType<typeof startTracing>> | undefined;
  if (tracingEnabled(env)) {
    tracing = await startTracing({ serviceName: 'latchkey', serviceVersion: latchkeyVersion() });
    logger.info('OpenTelemetry tracing is on: spans go to the OTLP/HTTP endpoint of OTEL_EXPORTER_OTLP_ENDPOINT (default http://localhost:4318)');
  }
  const gateway = await startGateway(config, logger);
  logger.info(`Latchkey is listening on ${gateway.url} (GraphQL and GraphiQL at ${gateway.url}/graphql)`, {
    publicUrl: config.publicUrl,
    database,
    ...(gateway.metricsUrl ? { metricsUrl: gateway.metricsUrl } : {}),
  });
  const stop = async () => {
    logger.info('shutting down');
    await gateway.close();
    await tracing?.shutdown().catch(() => {});
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

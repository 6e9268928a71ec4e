import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { openDatabase, migrateDatabase, type Database } from './db/database.js';
import { createLatchkey, MAX_BODY_BYTES, type Latchkey } from './app.js';
import { defaultRetention, startRetention } from './retention.js';
import { createRefreshSweeper } from './connections/refresh-sweeper.js';
import { verifyEncryptionKeys } from './crypto/key-check.js';

export interface RunningGateway extends Latchkey {
  server: Server;
  url: string;
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
    void latchkey.yoga(request, response);
  });
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
  latchkey.services.webhooks.worker.start();
  sweeper.start();
  const stopRetention = startRetention(db, logger, { ...defaultRetention, auditDays: config.auditRetentionDays });
  return {
    ...latchkey,
    server,
    url,
    db,
    async close() {
      stopRetention();
      await sweeper.stop();
      await latchkey.services.webhooks.worker.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await latchkey.services.passthrough.close();
      await latchkey.rateLimiters.close();
      await db.$disconnect();
    },
  };
}

// `latchkey serve | migrate | site create NAME [--origin URL]... | connect SERVICE | connect-link`
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createLogger } from './logger.js';
import { migrateDatabase, openDatabase } from './db/database.js';
import { startGateway } from './server.js';
import { createServices } from './services.js';
import { LatchkeyError } from './errors.js';
import { connectCommand } from './cli/connect.js';
import { connectLinkCommand } from './cli/connect-link.js';

const usage = `Usage:
  latchkey serve                               migrate the database, then serve HTTP on HOST:PORT
  latchkey migrate                             apply pending migrations and exit
  latchkey site create NAME [--origin URL]...  create a site and print its token once
  latchkey connect SERVICE [--scope S]... [--gateway URL] [--token TOKEN]
                                               connect a service through a running gateway: prints
                                               the URL to open in a browser and waits for it
  latchkey connect-link [--ttl SECONDS] [--gateway URL] [--token TOKEN]
                                               print a short-lived link to the gateway's connect page`;

function warnAboutDevelopmentKey(config: Config, log: (message: string) => void): void {
  if (config.encryptionKeyGenerated) {
    log(
      `warning: LATCHKEY_ENCRYPTION_KEY is not set; using the development key in ${config.dataDir}/encryption.key. ` +
        'Set LATCHKEY_ENCRYPTION_KEY (32 bytes, base64) for anything but local development.',
    );
  }
}

async function serve(config: Config): Promise<void> {
  const logger = createLogger(config.logLevel);
  warnAboutDevelopmentKey(config, (message) => logger.warn(message));
  const gateway = await startGateway(config, logger);
  logger.info(`Latchkey is listening on ${gateway.url} (GraphQL and GraphiQL at ${gateway.url}/graphql)`, {
    publicUrl: config.publicUrl,
  });
  const stop = async () => {
    logger.info('shutting down');
    await gateway.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

async function migrate(config: Config): Promise<void> {
  const applied = await migrateDatabase(config.databaseUrl, { log: (message) => console.error(message) });
  console.log(applied.length ? `Applied ${applied.length} migration(s): ${applied.join(', ')}` : 'The database is up to date.');
}

async function createSite(config: Config, args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { origin: { type: 'string', multiple: true } } });
  const name = positionals.join(' ');
  if (!name) throw new Error('site create needs a NAME.');
  warnAboutDevelopmentKey(config, (message) => console.error(message));
  await migrateDatabase(config.databaseUrl, {});
  const db = openDatabase(config.databaseUrl);
  try {
    const services = createServices(config, db, createLogger('warn'));
    const { site, siteToken } = await services.sites.create(name, values.origin ?? []);
    console.error(`Created site "${site.name}" (${site.id}). Its token is shown only this once; store it as a secret:`);
    console.log(siteToken);
  } finally {
    await db.$disconnect();
  }
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === 'connect-link') {
    process.exitCode = await connectLinkCommand(rest, process.env, { out: (line) => console.log(line), err: (line) => console.error(line) });
    return;
  }
  if (command === 'connect') {
    process.exitCode = await connectCommand(rest, process.env, { out: (line) => console.log(line), err: (line) => console.error(line) });
    return;
  }
  const config = loadConfig();
  if (command === 'serve' || command === undefined) return serve(config);
  if (command === 'migrate') return migrate(config);
  if (command === 'site' && rest[0] === 'create') return createSite(config, rest.slice(1));
  console.error(usage);
  process.exitCode = 2;
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof LatchkeyError) console.error(error.message);
  else if (error instanceof Error && 'code' in error) console.error(`${error.message}`);
  else console.error(error);
  process.exitCode = 1;
});

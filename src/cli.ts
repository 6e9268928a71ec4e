// `latchkey <command>`: each command imports only what it needs, so `--help` and the admin
// commands start fast; errors are one line that says what to do, never a stack trace.
import { applyGatewayV8Flags } from './runtime-flags.js';
import type { Config } from './config.js';

const usage = `Usage: latchkey <command> [options]   (latchkey <command> --help for details)

Gateway:
  serve                                  migrate the database, then serve HTTP on HOST:PORT (npm start)
  migrate                                apply pending migrations and exit
  doctor                                 check key, database, migrations, public URL and providers
  keys rotate [--batch-size N]           re-encrypt every stored secret under LATCHKEY_ENCRYPTION_KEY
  keys status                            count stored secrets per key id

Sites and data (on the configured database, DATABASE_URL):
  site create NAME [--origin URL]...     create a site and print its token once
  site list                              list sites
  site token SITE [--label TEXT]         issue a new site token (after the last one was revoked or lost)
  connections [--site S] [--status S] [--service S]
                                         list connections and their health
  audit [--site S] [--since WHEN] [--type T]
                                         print audit events as JSON lines

Through a running gateway (site token from LATCHKEY_SITE_TOKEN or --token):
  connect SERVICE|custom:SLUG [--scope S]... [--gateway URL] [--token TOKEN]
                                         print the URL to open in a browser and wait for it
  connect-link [--ttl SECONDS] [--gateway URL] [--token TOKEN]
                                         print a short-lived link to the gateway's connect page`;

const commandUsage: Record<string, string> = {
  serve: 'latchkey serve\n  Applies pending migrations, then serves GraphQL, GraphiQL and the connect page on HOST:PORT.',
  migrate: 'latchkey migrate\n  Applies pending migrations to DATABASE_URL and exits.',
  'site create': 'latchkey site create NAME [--origin URL]...\n  Creates a site and prints its token once (on stdout; everything else goes to stderr).',
};

const COMMANDS = ['serve', 'migrate', 'doctor', 'keys', 'site', 'connections', 'audit', 'connect', 'connect-link', 'help'];
const SITE_COMMANDS = ['create', 'list', 'token'];
const KEYS_COMMANDS = ['rotate', 'status'];

const io = { out: (line: string) => console.log(line), err: (line: string) => console.error(line) };
const CODE_CACHE_DELAY_MS = 1000;
const wantsHelp = (args: string[]) => args.includes('--help') || args.includes('-h');

async function loadConfigOrExit(): Promise<Config> {
  const { loadConfig } = await import('./config.js');
  return loadConfig();
}

/** `latchkey serve`: the gateway runs until SIGINT/SIGTERM. */
async function serve(): Promise<void> {
  const { loadGateway } = await import('./gateway-loader.js');
  const { gateway, saveCodeCache } = await loadGateway(process.env);
  await gateway.serveCommand(process.env);
  // After the first requests (a readiness probe), so the code they compiled is cached as well.
  setTimeout(saveCodeCache, CODE_CACHE_DELAY_MS).unref();
}

async function migrate(config: Config): Promise<void> {
  const [{ migrateDatabase }, { describeDatabase }] = await Promise.all([import('./db/database.js'), import('./cli/admin.js')]);
  describeDatabase(config, io, { mustExist: false });
  const applied = await migrateDatabase(config.databaseUrl, { log: (message) => console.error(message) });
  console.log(applied.length ? `Applied ${applied.length} migration(s): ${applied.join(', ')}` : 'The database is up to date.');
}

async function createSite(config: Config, args: string[]): Promise<number> {
  const { parseArgs } = await import('node:util');
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { origin: { type: 'string', multiple: true } } });
  const name = positionals.join(' ');
  const { UsageError, describeDatabase } = await import('./cli/admin.js');
  if (!name) throw new UsageError(`site create needs a NAME.\nUsage: ${commandUsage['site create']}`);
  const keyWarning = (await import('./config.js')).developmentKeyWarning(config);
  if (keyWarning) console.error(keyWarning);
  describeDatabase(config, io, { mustExist: false });
  const [{ migrateDatabase, openDatabase }, { createServices }, { createLogger }] = await Promise.all([
    import('./db/database.js'),
    import('./services.js'),
    import('./logger.js'),
  ]);
  await migrateDatabase(config.databaseUrl, {});
  const db = openDatabase(config.databaseUrl);
  try {
    const services = createServices(config, db, createLogger('warn'));
    const { site, siteToken } = await services.sites.create(name, values.origin ?? []);
    console.error(`Created site "${site.name}" (${site.id}). Its token is shown only this once; store it as a secret:`);
    console.log(siteToken);
    return 0;
  } finally {
    await db.$disconnect();
  }
}

async function unknownCommand(words: string[], candidates: readonly string[]): Promise<number> {
  const { didYouMean } = await import('./cli/suggest.js');
  console.error(`Unknown command "${words.join(' ')}".${didYouMean(words.at(-1) ?? '', candidates)}\nRun "latchkey --help" for the list.`);
  return 2;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'help' || command === '--help' || command === '-h') return console.log(usage), 0;
  if (command === 'connect-link') {
    const { connectLinkCommand, connectLinkUsage } = await import('./cli/connect-link.js');
    if (wantsHelp(rest)) return console.log(connectLinkUsage), 0;
    return connectLinkCommand(rest, process.env, io);
  }
  if (command === 'connect') {
    const { connectCommand, connectUsage } = await import('./cli/connect.js');
    if (wantsHelp(rest)) return console.log(connectUsage), 0;
    return connectCommand(rest, process.env, io);
  }
  // Every command from here on opens the database, whose query compiler is WebAssembly.
  applyGatewayV8Flags(process.env);
  if (command === 'serve' || command === undefined || command === 'migrate') {
    if (wantsHelp(rest)) return console.log(commandUsage[command ?? 'serve']), 0;
    await (command === 'migrate' ? migrate(await loadConfigOrExit()) : serve());
    return 0;
  }
  if (command === 'site') {
    const [sub, ...args] = rest;
    if (sub === undefined || sub === '--help' || sub === '-h') return console.log(usage), sub === undefined ? 2 : 0;
    if (!SITE_COMMANDS.includes(sub)) return unknownCommand(['site', sub], SITE_COMMANDS);
    if (sub === 'create') {
      if (wantsHelp(args)) return console.log(commandUsage['site create']), 0;
      return createSite(await loadConfigOrExit(), args);
    }
    const admin = await import('./cli/admin.js');
    if (wantsHelp(args)) return console.log(sub === 'list' ? admin.adminUsage.siteList : admin.adminUsage.siteToken), 0;
    const config = await loadConfigOrExit();
    return sub === 'list' ? admin.siteListCommand(config, args, io) : admin.siteTokenCommand(config, args, io);
  }
  if (command === 'connections' || command === 'audit') {
    const admin = await import('./cli/admin.js');
    if (wantsHelp(rest)) return console.log(admin.adminUsage[command]), 0;
    const config = await loadConfigOrExit();
    return command === 'audit' ? admin.auditCommand(config, rest, io) : admin.connectionsCommand(config, rest, io);
  }
  if (command === 'doctor') {
    const [{ doctorCommand }, { adminUsage }] = await Promise.all([import('./cli/doctor.js'), import('./cli/admin.js')]);
    if (wantsHelp(rest)) return console.log(adminUsage.doctor), 0;
    return doctorCommand(await loadConfigOrExit(), rest, io);
  }
  if (command === 'keys') {
    const [sub, ...args] = rest;
    const keys = await import('./cli/keys.js');
    if (sub === undefined || sub === '--help' || sub === '-h') return console.log(keys.keysUsage.keys), sub === undefined ? 2 : 0;
    if (!KEYS_COMMANDS.includes(sub)) return unknownCommand(['keys', sub], KEYS_COMMANDS);
    if (wantsHelp(args)) return console.log(sub === 'rotate' ? keys.keysUsage.rotate : keys.keysUsage.status), 0;
    const config = await loadConfigOrExit();
    return sub === 'rotate' ? keys.keysRotateCommand(config, args, io) : keys.keysStatusCommand(config, args, io);
  }
  return unknownCommand([command], COMMANDS);
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code) process.exitCode = code;
  },
  (error: unknown) => {
    // Expected failures (configuration, usage, contract errors, database refusals) are one line;
    // only a bug shows more, and then LATCHKEY_DEBUG=1 prints the stack.
    const message = error instanceof Error ? error.message : String(error);
    console.error(message.split('\n').slice(0, 6).join('\n'));
    if (process.env.LATCHKEY_DEBUG && error instanceof Error) console.error(error.stack);
    process.exitCode = 1;
  },
);

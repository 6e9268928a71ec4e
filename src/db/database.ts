// Opens and migrates the database named by a URL: an embedded SQLite file (`file:…`) or a
// PostgreSQL server (`postgresql://…`). Each provider has its own generated client and migrations.
import { mkdirSync, readdirSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { loadAdapterPg, loadAdapterSqlite, loadBetterSqlite3, loadPg } from './drivers.js';
import { traceDriverAdapter } from '../telemetry/trace-database.js';
import { PrismaClient as PostgresPrismaClient } from '../generated/postgresql/client.js';
import { PrismaClient as SqlitePrismaClient } from '../generated/sqlite/client.js';

export type DatabaseProvider = 'sqlite' | 'postgresql';

/** Both generated clients have the same API; code above this module uses this type only. */
export type Database = SqlitePrismaClient;

/** How long a SQLite connection waits for another writer before failing with SQLITE_BUSY. */
const sqliteBusyTimeoutMs = 5_000;

export function databaseProviderFromUrl(url: string): DatabaseProvider {
  if (url.startsWith('file:')) return 'sqlite';
  if (url.startsWith('postgresql://') || url.startsWith('postgres://')) return 'postgresql';
  throw new Error(
    `Unsupported database URL "${redactDatabaseUrl(url)}": use file:./data/latchkey.db (SQLite) ` +
      'or postgresql://user:password@host:5432/database (PostgreSQL).',
  );
}

/** The URL with its password replaced by ***, safe to log. */
export function redactDatabaseUrl(url: string): string {
  if (url.startsWith('file:')) return url;
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    // an unparsable URL could still contain a password, so show none of it
    return `${url.split(':', 1)[0]}://…`;
  }
}

/** The absolute path of a SQLite `file:` URL; relative paths are resolved against process.cwd(). */
export function sqliteFilePath(url: string): string {
  const withoutQuery = url.replace(/\?.*$/, '');
  const path = withoutQuery.slice('file:'.length);
  if (path === ':memory:') return path;
  if (path.startsWith('//')) return fileURLToPath(withoutQuery);
  return isAbsolute(path) ? path : resolve(process.cwd(), path);
}

export function createDriverAdapterFactory(url: string): SqlMigrationAwareDriverAdapterFactory {
  if (databaseProviderFromUrl(url) === 'sqlite') {
    return new (loadAdapterSqlite().PrismaBetterSqlite3)({ url: sqliteFilePath(url), timeout: sqliteBusyTimeoutMs });
  }
  return new (loadAdapterPg().PrismaPg)({ connectionString: url });
}

export function openDatabase(url: string): Database {
  const adapter = traceDriverAdapter(createDriverAdapterFactory(url), databaseProviderFromUrl(url));
  if (databaseProviderFromUrl(url) === 'postgresql') {
    return new PostgresPrismaClient({ adapter }) as unknown as Database;
  }
  prepareSqliteFile(sqliteFilePath(url));
  return new SqlitePrismaClient({ adapter });
}

export function migrationsDir(provider: DatabaseProvider): string {
  return fileURLToPath(new URL(`../../prisma/${provider}/migrations`, import.meta.url));
}

/** Applies the provider's committed migrations that the database lacks; returns their names. */
export async function migrateDatabase(url: string, options: { log?: (message: string) => void } = {}): Promise<string[]> {
  const log = options.log ?? (() => {});
  const provider = databaseProviderFromUrl(url);
  if (provider === 'sqlite') prepareSqliteFile(sqliteFilePath(url));
  log(`Migrating ${provider} database ${redactDatabaseUrl(url)}`);
  const pending = await pendingMigrations(url, provider);
  if (pending.length === 0) {
    // Nothing to apply: skip the schema engine, which takes an exclusive lock on a SQLite file and
    // so could not run beside another gateway or CLI that has the database open.
    log('Database schema is up to date');
    return [];
  }
  // Loaded on demand: only migrating needs the schema engine, and it imports this module.
  const { applyMigrations } = await import('./schema-engine.js');
  const applied = await applyMigrations({ databaseUrl: url, migrationsDir: migrationsDir(provider), provider });
  log(applied.length > 0 ? `Applied ${applied.length} migration(s): ${applied.join(', ')}` : 'Database schema is up to date');
  return applied;
}

/** Committed migrations the database has not recorded as finished (all of them on a new database). */
export async function pendingMigrations(url: string, provider: DatabaseProvider = databaseProviderFromUrl(url)): Promise<string[]> {
  const committed = readdirSync(migrationsDir(provider), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  const query = 'SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL';
  let applied: string[] = [];
  try {
    if (provider === 'sqlite') {
      const BetterSqlite3 = loadBetterSqlite3();
      const connection = new BetterSqlite3(sqliteFilePath(url), { readonly: true, fileMustExist: true, timeout: sqliteBusyTimeoutMs });
      try {
        applied = (connection.prepare(query).all() as Array<{ migration_name: string }>).map((row) => row.migration_name);
      } finally {
        connection.close();
      }
    } else {
      const client = new (loadPg().Client)({ connectionString: url });
      await client.connect();
      try {
        applied = (await client.query<{ migration_name: string }>(query)).rows.map((row) => row.migration_name);
      } finally {
        await client.end();
      }
    }
  } catch {
    return committed; // no database or no _prisma_migrations table yet: the engine decides
  }
  const done = new Set(applied);
  return committed.filter((name) => !done.has(name));
}

// WAL lets readers work while a write is in progress; the mode is stored in the file, so setting
// it once here applies to every later connection.
function prepareSqliteFile(path: string): void {
  if (path === ':memory:') return;
  mkdirSync(dirname(path), { recursive: true });
  const BetterSqlite3 = loadBetterSqlite3();
  const connection = new BetterSqlite3(path, { timeout: sqliteBusyTimeoutMs });
  try {
    connection.pragma('journal_mode = WAL');
  } finally {
    connection.close();
  }
}

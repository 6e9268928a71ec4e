// Prisma's schema engine compiled to WebAssembly, talking to the database through a driver
// adapter. Prisma's CLI would download the native engine instead, which is not possible everywhere.
import { randomUUID } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import {
  bindMigrationAwareSqlAdapterFactory,
  DriverAdapterError,
  type ErrorRegistry,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils';
import * as glue from '@prisma/schema-engine-wasm/schema_engine_bg';
import type { MigrationList, SchemaEngine, SchemaFilter } from '@prisma/schema-engine-wasm/schema_engine_bg';
import type pg from 'pg';
import { loadAdapterPg, loadAdapterSqlite, loadPg } from './drivers.js';
import { createDriverAdapterFactory, databaseProviderFromUrl, redactDatabaseUrl, type DatabaseProvider } from './database.js';

export class SchemaEngineError extends Error {
  override name = 'SchemaEngineError';
  constructor(
    /**
     * A Prisma error code (P1xxx, P3xxx) or one of ours: DATABASE_ERROR, ENGINE_PANIC,
     * MIGRATIONS_NOT_FOUND, PROVIDER_MISMATCH, SHADOW_DATABASE_REQUIRED.
     */
    readonly code: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export interface DiffSqlOptions {
  provider: DatabaseProvider;
  from: 'empty' | { migrationsDir: string };
  /** Path of a Prisma schema file (prisma/<provider>/schema.prisma). */
  to: string;
  /**
   * Required for PostgreSQL (the engine always connects): a database whose user may create
   * databases. A temporary shadow database is created beside it and dropped afterwards.
   */
  shadowDatabaseUrl?: string;
}

/** The SQL script that turns `from` into the schema `to`; '' when they already match. */
export async function diffSql(options: DiffSqlOptions): Promise<string> {
  const migrations = options.from === 'empty' ? undefined : await readMigrations(options.from.migrationsDir);
  // The engine rejects a migrations folder without migration_lock.toml, i.e. one never written to.
  const from = migrations?.migrationDirectories.length ? { tag: 'migrations' as const, ...migrations } : { tag: 'empty' as const };
  const to = { tag: 'schemaDatamodel' as const, files: [{ path: options.to, content: await readFile(options.to, 'utf8') }] };
  const action = `computing the SQL from ${options.from === 'empty' ? 'an empty database' : options.from.migrationsDir} to ${options.to}`;
  const hint = 'Check that every migration in the folder runs on an empty database.';
  const diff = async (engine: SchemaEngine) => {
    const { exitCode, stdout } = await engine.diff({ from, to, script: true, exitCode: true, filters: noFilters });
    return exitCode === 0 ? '' : (stdout ?? '');
  };

  if (options.provider === 'sqlite') {
    // Its connectToShadowDb() opens another in-memory database.
    return withEngine(new (loadAdapterSqlite().PrismaBetterSqlite3)({ url: ':memory:' }), action, hint, diff);
  }
  const serverUrl = options.shadowDatabaseUrl;
  if (!serverUrl) {
    throw new SchemaEngineError(
      'SHADOW_DATABASE_REQUIRED',
      'Diffing a PostgreSQL schema needs a server: pass shadowDatabaseUrl (scripts/create-migration.ts reads LATCHKEY_SHADOW_DATABASE_URL, or starts a temporary server when PostgreSQL is installed).',
    );
  }
  const shadowName = `latchkey_shadow_${randomUUID().replaceAll('-', '')}`;
  await runAdminSql(serverUrl, `CREATE DATABASE "${shadowName}"`);
  try {
    // Not PrismaPg's own connectToShadowDb(): given a connection string, it creates a shadow
    // database but then connects to the main one (pg lets the string override `database`).
    const shadowUrl = databaseUrlWithName(serverUrl, shadowName);
    const factory: SqlMigrationAwareDriverAdapterFactory = {
      provider: 'postgres',
      adapterName: '@prisma/adapter-pg',
      connect: () => new (loadAdapterPg().PrismaPg)({ connectionString: serverUrl }).connect(),
      connectToShadowDb: () => new (loadAdapterPg().PrismaPg)({ connectionString: shadowUrl }).connect(),
    };
    return await withEngine(factory, action, hint, diff);
  } finally {
    await runAdminSql(serverUrl, `DROP DATABASE IF EXISTS "${shadowName}" WITH (FORCE)`);
  }
}

export interface ApplyMigrationsOptions {
  databaseUrl: string;
  migrationsDir: string;
  provider: DatabaseProvider;
}

/**
 * Applies the migrations the database lacks and records them in `_prisma_migrations`, as
 * `prisma migrate deploy` does; returns the names of those applied now.
 */
export async function applyMigrations(options: ApplyMigrationsOptions): Promise<string[]> {
  const urlProvider = databaseProviderFromUrl(options.databaseUrl);
  if (urlProvider !== options.provider) {
    throw new SchemaEngineError(
      'PROVIDER_MISMATCH',
      `The database URL is for ${urlProvider} but the migrations are for ${options.provider}: use the migrations in prisma/${urlProvider}/migrations.`,
    );
  }
  const migrationsList = await readMigrations(options.migrationsDir);
  if (migrationsList.migrationDirectories.length === 0) {
    throw new SchemaEngineError(
      'MIGRATIONS_NOT_FOUND',
      `No migrations found in ${options.migrationsDir}: run Latchkey from a complete checkout or package, which includes prisma/${options.provider}/migrations.`,
    );
  }
  const { appliedMigrationNames } = await withEngine(
    createDriverAdapterFactory(options.databaseUrl),
    `applying migrations to ${redactDatabaseUrl(options.databaseUrl)}`,
    'Check the URL and that the server is running. If a migration failed, undo what it changed, set rolled_back_at on its _prisma_migrations row and migrate again.',
    (engine) => engine.applyMigrations({ migrationsList, filters: noFilters }),
  );
  return appliedMigrationNames;
}

const noFilters: SchemaFilter = { externalTables: [], externalEnums: [] };

/** Reads a migrations folder as Prisma's CLI does; a missing folder is an empty history. */
async function readMigrations(migrationsDir: string): Promise<MigrationList> {
  const lockfile = await readFile(join(migrationsDir, 'migration_lock.toml'), 'utf8').catch(() => null);
  const entries = await readdir(migrationsDir, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  const names = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort((a, b) => a.localeCompare(b));
  const migrationDirectories = await Promise.all(
    names.map(async (name) => ({
      path: name,
      migrationFile: {
        path: 'migration.sql',
        content: await readFile(join(migrationsDir, name, 'migration.sql'), 'utf8').then(
          (value) => ({ tag: 'ok' as const, value }),
          (error: Error) => ({ tag: 'error' as const, value: error.message }),
        ),
      },
    })),
  );
  return {
    baseDir: migrationsDir,
    lockfile: { path: 'migration_lock.toml', content: lockfile },
    shadowDbInitScript: '',
    migrationDirectories,
  };
}

let engineClass: Promise<typeof glue.SchemaEngine> | undefined;
let lastPanicMessage = '';

// The wasm-bindgen glue keeps the instance in module state, so it is instantiated once.
function loadEngineClass(): Promise<typeof glue.SchemaEngine> {
  engineClass ??= (async () => {
    const gluePath = createRequire(import.meta.url).resolve('@prisma/schema-engine-wasm/schema_engine_bg');
    const bytes = await readFile(join(dirname(gluePath), 'schema_engine_bg.wasm'));
    // The engine's panic hook reports its message here before the RuntimeError is thrown.
    (globalThis as { PRISMA_WASM_PANIC_REGISTRY?: unknown }).PRISMA_WASM_PANIC_REGISTRY ??= {
      set_message: (message: string) => (lastPanicMessage = message),
    };
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { './schema_engine_bg.js': glue });
    glue.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
    return glue.SchemaEngine;
  })();
  return engineClass;
}

async function withEngine<T>(
  factory: SqlMigrationAwareDriverAdapterFactory,
  action: string,
  hint: string,
  run: (engine: SchemaEngine) => Promise<T>,
): Promise<T> {
  // free() does not close the engine's connections (a SQLite file would stay locked), so the
  // adapters it opens are collected and disposed here.
  const opened: SqlDriverAdapter[] = [];
  const open = async (connect: () => Promise<SqlDriverAdapter>) => {
    const adapter = fixAdapterForEngine(await connect());
    opened.push(adapter);
    return adapter;
  };
  const bound = bindMigrationAwareSqlAdapterFactory({
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: () => open(() => factory.connect()),
    connectToShadowDb: () => open(() => factory.connectToShadowDb()),
  });
  const trace = process.env.LATCHKEY_SCHEMA_ENGINE_DEBUG ? (line: string) => console.error(line) : () => {};
  const SchemaEngineClass = await loadEngineClass();
  let engine: SchemaEngine | undefined;
  try {
    // PostgreSQL is connected to here already, SQLite on first use.
    engine = await SchemaEngineClass.new({ datamodels: undefined }, trace, bound);
    return await run(engine);
  } catch (error) {
    throw toSchemaEngineError(error, bound.errorRegistry, action, hint);
  } finally {
    engine?.free();
    // Errors here come from adapters the engine disposed already.
    await Promise.all(opened.map((adapter) => adapter.dispose().catch(() => {})));
  }
}

const charOid = 18;
const textOid = 25;

/** Works around gaps between the adapters of Prisma 7.10 and what its wasm engine sends them. */
function fixAdapterForEngine(adapter: SqlDriverAdapter): SqlDriverAdapter {
  if (adapter.provider === 'sqlite') {
    // The engine replays migration scripts on a shadow database with executeRaw, which
    // better-sqlite3 refuses for more than one statement. prepare() fails before running
    // anything, so retrying the script with executeScript runs nothing twice.
    const executeRaw = adapter.executeRaw.bind(adapter);
    adapter.executeRaw = async (query) => {
      try {
        return await executeRaw(query);
      } catch (error) {
        if (!(error instanceof RangeError && error.message.includes('more than one statement'))) throw error;
        await adapter.executeScript(query.sql);
        return 0;
      }
    };
    return adapter;
  }

  const pool = (adapter as unknown as { underlyingDriver(): pg.Pool }).underlyingDriver();
  // The engine reads pg_catalog columns of type "char" (e.g. pg_constraint.contype) to inspect
  // a schema, a type the adapter rejects; the values are single letters, so they pass as text.
  const query = pool.query.bind(pool) as (config: pg.QueryConfig | string) => Promise<pg.QueryResult>;
  pool.query = (async (config: pg.QueryConfig | string) => {
    const result = await query(config);
    for (const field of result.fields ?? []) if (field.dataTypeID === charOid) field.dataTypeID = textOid;
    return result;
  }) as typeof pool.query;
  // The adapter splits scripts at every ";" (even inside strings) and runs the pieces one by one.
  // Sent whole, PostgreSQL runs a migration in one implicit transaction, as with Prisma's CLI.
  adapter.executeScript = async (script) => {
    try {
      await query(script);
    } catch (error) {
      if (!(error instanceof loadPg().DatabaseError)) throw error;
      const { code = '', severity = 'ERROR', message, detail, column, hint } = error;
      throw new DriverAdapterError({ kind: 'postgres', code, severity, message, detail, column, hint });
    }
  };
  return adapter;
}

function toSchemaEngineError(error: unknown, registry: ErrorRegistry, action: string, hint: string): SchemaEngineError {
  if (error instanceof SchemaEngineError) return error;
  if (!(error instanceof Error)) return new SchemaEngineError('DATABASE_ERROR', `Failed ${action}: ${String(error)}\n${hint}`);
  if (error.name === 'RuntimeError') {
    const message = lastPanicMessage || error.message;
    return new SchemaEngineError(
      'ENGINE_PANIC',
      `Prisma's schema engine crashed while ${action}: ${message}\nRerun with LATCHKEY_SCHEMA_ENGINE_DEBUG=1 to see its trace.`,
      { cause: error },
    );
  }
  // Drop the engine's span trace ("   0: sql_schema_connector::…") that follows the message.
  let message = error.message.replace(/\n\s+\d+: [\s\S]*$/, '').trim();
  // Errors thrown by a driver (not SQL errors) reach the engine only as "External error id#N".
  let cause: unknown = error;
  message = message.replace(/External error id#(\d+)/, (text, id: string) => {
    const record = registry.consumeError(Number(id));
    if (!record) return text;
    cause = record.error;
    return record.error instanceof Error ? record.error.message : String(record.error);
  });
  const code = (error as { code?: unknown }).code;
  return new SchemaEngineError(typeof code === 'string' ? code : 'DATABASE_ERROR', `Failed ${action}: ${message}\n${hint}`, { cause });
}

async function runAdminSql(url: string, sql: string): Promise<void> {
  const client = new (loadPg().Client)({ connectionString: url });
  try {
    await client.connect();
    await client.query(sql);
  } catch (error) {
    throw new SchemaEngineError(
      'DATABASE_ERROR',
      `Could not run ${sql} on ${redactDatabaseUrl(url)}: ${(error as Error).message}\nThe shadow database URL must name an existing database whose user may create databases.`,
      { cause: error },
    );
  } finally {
    await client.end().catch(() => {});
  }
}

function databaseUrlWithName(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

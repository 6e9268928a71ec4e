// Fresh, migrated databases for tests. The provider comes from LATCHKEY_TEST_DB (sqlite, the
// default, or postgresql), so a test file written against createTestDatabase() runs on both:
//   LATCHKEY_TEST_DB=postgresql npx vitest run
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrateDatabase, openDatabase, type Database, type DatabaseProvider } from '../../src/db/database.js';
import { startPostgres, type PostgresServer } from './postgres.js';

export interface TestDatabase {
  provider: DatabaseProvider;
  url: string;
  db: Database;
  /** Disconnects and deletes the database. */
  cleanup(): Promise<void>;
}

export function testDatabaseProvider(): DatabaseProvider {
  const value = process.env.LATCHKEY_TEST_DB || 'sqlite';
  if (value !== 'sqlite' && value !== 'postgresql') {
    throw new Error(`LATCHKEY_TEST_DB must be "sqlite" or "postgresql", not "${value}"`);
  }
  return value;
}

let postgres: Promise<PostgresServer> | undefined;

/**
 * The PostgreSQL server shared by a test file's databases, started on first use. Vitest runs each
 * file in its own process, so this is one server per file; it stops when the process exits, or
 * earlier with stopSharedPostgres() in afterAll.
 */
export function sharedPostgres(): Promise<PostgresServer> {
  postgres ??= startPostgres();
  return postgres;
}

export async function stopSharedPostgres(): Promise<void> {
  const server = postgres;
  postgres = undefined;
  await server?.then((started) => started.stop(), () => {});
}

/** An empty database with the committed migrations applied (unless `migrate: false`). */
export async function createTestDatabase(
  provider: DatabaseProvider = testDatabaseProvider(),
  options: { migrate?: boolean } = {},
): Promise<TestDatabase> {
  let url: string;
  let remove: () => Promise<void>;
  if (provider === 'sqlite') {
    const dir = await mkdtemp(join(tmpdir(), 'latchkey-test-'));
    url = `file:${join(dir, 'test.db')}`;
    remove = () => rm(dir, { recursive: true, force: true });
  } else {
    const server = await sharedPostgres();
    const name = `test_${randomUUID().replaceAll('-', '')}`;
    url = await server.createDatabase(name);
    remove = () => server.dropDatabase(name);
  }
  if (options.migrate !== false) {
    await migrateDatabase(url).catch(async (error: unknown) => {
      await remove();
      throw error;
    });
  }
  const db = openDatabase(url);
  return {
    provider,
    url,
    db,
    async cleanup() {
      await db.$disconnect();
      await remove();
    },
  };
}

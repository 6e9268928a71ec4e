import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { providers, renderSchema, schemaPath, type DatabaseProvider } from '../scripts/write-prisma-schemas.js';
import { databaseProviderFromUrl, migrateDatabase, migrationsDir, openDatabase, redactDatabaseUrl } from '../src/db/database.js';
import { diffSql } from '../src/db/schema-engine.js';
import { createTestDatabase, sharedPostgres, stopSharedPostgres } from './support/database.js';

afterAll(stopSharedPostgres);

async function committedMigrations(provider: DatabaseProvider): Promise<string[]> {
  const entries = await readdir(migrationsDir(provider), { withFileTypes: true });
  return entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

describe.each(providers)('%s', (provider) => {
  test('the generated schema.prisma is up to date with prisma/models.prisma', async () => {
    const message = `${schemaPath(provider)} is stale: run \`npm run generate\``;
    expect(await readFile(schemaPath(provider), 'utf8'), message).toBe(renderSchema(provider));
  });

  test('the committed migrations produce exactly the current schema', async () => {
    const shadowDatabaseUrl = provider === 'postgresql' ? (await sharedPostgres()).url() : undefined;
    const sql = await diffSql({ provider, from: { migrationsDir: migrationsDir(provider) }, to: schemaPath(provider), shadowDatabaseUrl });
    const message = 'The models changed without a migration: run `npm run db:migration -- NAME` and commit it. Missing SQL';
    expect(sql, message).toBe('');
  });

  test('migrateDatabase applies each migration once and records it in _prisma_migrations', async () => {
    const { url, db, cleanup } = await createTestDatabase(provider, { migrate: false });
    try {
      const names = await committedMigrations(provider);
      expect(names.length).toBeGreaterThan(0);
      const log: string[] = [];
      expect(await migrateDatabase(url, { log: (message) => log.push(message) })).toEqual(names);
      expect(await migrateDatabase(url, { log: (message) => log.push(message) })).toEqual([]);
      expect(log.at(-1)).toBe('Database schema is up to date');

      const rows = await db.$queryRawUnsafe<{ migration_name: string; checksum: string; finished_at: unknown; rolled_back_at: unknown }[]>(
        'SELECT migration_name, checksum, finished_at, rolled_back_at FROM _prisma_migrations ORDER BY migration_name',
      );
      expect(rows.map((row) => row.migration_name)).toEqual(names);
      for (const row of rows) {
        // Prisma's checksum is the SHA-256 of migration.sql, so `prisma migrate` accepts these rows.
        const sql = await readFile(join(migrationsDir(provider), row.migration_name, 'migration.sql'));
        expect(row.checksum).toBe(createHash('sha256').update(sql).digest('hex'));
        expect(row.finished_at).not.toBeNull();
        expect(row.rolled_back_at).toBeNull();
      }
    } finally {
      await cleanup();
    }
  });

  test('openDatabase stores and reads rows, with cascading deletes', async () => {
    const { db, cleanup } = await createTestDatabase(provider);
    try {
      await db.site.create({
        data: {
          id: 'site_1',
          name: 'Example',
          allowedOrigins: ['https://example.com'],
          tokens: { create: { id: 'token_1', tokenHash: 'a'.repeat(64), prefix: 'lk_site_a' } },
        },
      });
      const site = await db.site.findUnique({ where: { id: 'site_1' }, include: { tokens: true } });
      expect(site).toMatchObject({ name: 'Example', allowedOrigins: ['https://example.com'] });
      expect(site?.createdAt).toBeInstanceOf(Date);
      expect(site?.tokens.map((token) => token.kind)).toEqual(['SITE']);

      await db.site.delete({ where: { id: 'site_1' } });
      expect(await db.siteToken.count()).toBe(0);
    } finally {
      await cleanup();
    }
  });
});

describe('sqlite files', () => {
  test('a relative file: URL is resolved against the working directory, its folder created and WAL enabled', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'latchkey-test-'));
    try {
      const url = `file:${relative(process.cwd(), join(dir, 'nested', 'folder', 'latchkey.db'))}`;
      expect(await migrateDatabase(url)).toEqual(await committedMigrations('sqlite'));
      const db = openDatabase(url);
      try {
        expect(await db.site.count()).toBe(0);
        const [mode] = await db.$queryRawUnsafe<{ journal_mode: string }[]>('PRAGMA journal_mode');
        expect(mode?.journal_mode).toBe('wal');
        const [busy] = await db.$queryRawUnsafe<{ timeout: number | bigint }[]>('PRAGMA busy_timeout');
        expect(Number(busy?.timeout)).toBeGreaterThan(0);
      } finally {
        await db.$disconnect();
      }
      expect((await readdir(join(dir, 'nested', 'folder'))).includes('latchkey.db')).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('database URLs', () => {
  test('the provider follows the scheme', () => {
    expect(databaseProviderFromUrl('file:./data/latchkey.db')).toBe('sqlite');
    expect(databaseProviderFromUrl('postgresql://user@localhost/latchkey')).toBe('postgresql');
    expect(databaseProviderFromUrl('postgres://user@localhost/latchkey')).toBe('postgresql');
    expect(() => databaseProviderFromUrl('mysql://user:hunter2@localhost/latchkey')).toThrow(/Unsupported database URL "mysql:\/\/user:\*\*\*@localhost/);
  });

  test('passwords never reach the migration log', async () => {
    expect(redactDatabaseUrl('postgresql://user:hunter2@db.example:5432/latchkey')).toBe('postgresql://user:***@db.example:5432/latchkey');
    expect(redactDatabaseUrl('postgresql://user:hun%ter2@db.example/latchkey')).not.toContain('hun');

    // A temporary test server trusts loopback connections, so it accepts (and ignores) any password.
    const server = await sharedPostgres();
    const url = new URL(await server.createDatabase('password_in_url'));
    url.password ||= 'hunter2';
    const log: string[] = [];
    await migrateDatabase(url.toString(), { log: (message) => log.push(message) });
    expect(log.length).toBeGreaterThan(0);
    expect(log.join('\n')).not.toContain(url.password);
    await server.dropDatabase('password_in_url');
  });
});

import { createHash } from 'node:crypto';
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { providers, renderSchema, schemaPath, type DatabaseProvider } from '../scripts/write-prisma-schemas.js';
import { databaseProviderFromUrl, migrateDatabase, migrationsDir, openDatabase, redactDatabaseUrl } from '../src/db/database.js';
import { applyMigrations, diffSql } from '../src/db/schema-engine.js';
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

  test('existing connections stay the site\'s own, each as the account it was, when end users arrive', async () => {
    const { url, db, cleanup } = await createTestDatabase(provider, { migrate: false });
    const previous = await mkdtemp(join(tmpdir(), 'latchkey-migrations-'));
    try {
      // The schema as it was before end users: every migration older than end_users.
      const names = (await committedMigrations(provider)).filter((name) => name < '20261202043642_end_users');
      for (const name of names) await cp(join(migrationsDir(provider), name), join(previous, name), { recursive: true });
      await cp(join(migrationsDir(provider), 'migration_lock.toml'), join(previous, 'migration_lock.toml'));
      await applyMigrations({ databaseUrl: url, migrationsDir: previous, provider });

      const created = new Date('2026-01-02T03:04:05.000Z');
      const issued = new Date('2026-02-03T04:05:06.000Z');
      const params = (count: number) => Array.from({ length: count }, (_, index) => (provider === 'sqlite' ? '?' : `$${index + 1}`)).join(', ');
      await db.$executeRawUnsafe(`INSERT INTO "Site" ("id", "name", "allowedOrigins", "createdAt", "updatedAt") VALUES ('site_old', 'Old', '[]', ${params(2)})`, created, created);
      // id, service, accessToken, foreignUserId, tokenIssuedAt, createdAt, updatedAt
      const [id, service, token, foreign, tokenIssued, createdAt, updatedAt] = params(7).split(', ');
      const insert = `INSERT INTO "Connection" ("id", "siteId", "service", "accessToken", "grantedScopes", "foreignUserId", "tokenIssuedAt", "createdAt", "updatedAt")
        VALUES (${id}, 'site_old', ${service}, ${token}, '["repo"]', ${foreign}, ${tokenIssued}, ${createdAt}, ${updatedAt})`;
      await db.$executeRawUnsafe(insert, 'conn_github', 'GITHUB', 'ciphertext-1', '583231', issued, created, created);
      await db.$executeRawUnsafe(insert, 'conn_stripe', 'STRIPE', 'ciphertext-2', null, null, created, created);

      // The schema engine locks a SQLite file exclusively: let go of it while it migrates.
      await db.$disconnect();
      await migrateDatabase(url);
      const rows = await db.connection.findMany({ orderBy: { id: 'asc' } });
      expect(rows.map((row) => [row.id, row.ownerType, row.ownerId, row.accountKey, row.accessToken, row.connectedAt.toISOString()])).toEqual([
        ['conn_github', 'SITE', '', '583231', 'ciphertext-1', issued.toISOString()],
        ['conn_stripe', 'SITE', '', 'default', 'ciphertext-2', created.toISOString()],
      ]);
      expect(rows[0]!.grantedScopes).toEqual(['repo']);
    } finally {
      await rm(previous, { recursive: true, force: true });
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

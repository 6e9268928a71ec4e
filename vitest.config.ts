import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

/** Tests that do not touch a gateway database run once; every other test runs on both databases. */
const databaseAgnostic = [
  'test/providers.test.ts',
  'test/token-cipher.test.ts',
  'test/schema.test.ts',
  'test/authorization-server.test.ts',
  'test/cli.test.ts',
  'test/migrations.test.ts',
  'test/shutdown.test.ts',
  // The browser tests exercise pages and popups; the database work under them is covered elsewhere.
  'test/browser-connect.test.ts',
  'test/browser-connect-custom.test.ts',
  'test/browser-auth-helper.test.ts',
  'test/browser-graphiql.test.ts',
];

export default defineConfig({
  resolve: {
    // Vite would pick graphql's ESM build for our files while Node hands the CommonJS build to
    // Pothos and graphql-yoga; one copy of graphql must serve both, as it does under plain Node.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // One worker process runs file after file with its module cache kept: every file imports the
    // whole gateway (Prisma's generated client, the schema, the catalog), which cost ~2 s of each
    // file's time when re-evaluated per file. Tests keep no module-level state between files (each
    // starts its own gateways, fakes and databases and restores any environment it sets).
    isolate: false,
    // Most of a test's time is spent waiting on other processes (gateways, fakes, PostgreSQL,
    // Chromium), so two workers keep two cores busy where vitest's default (cores - 1) would run one.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    globalSetup: ['test/global-setup.ts'],
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
    projects: [
      {
        extends: true,
        test: { name: 'sqlite', include: ['test/**/*.test.ts'], env: { LATCHKEY_TEST_DB: 'sqlite' } },
      },
      {
        extends: true,
        test: {
          name: 'postgresql',
          include: ['test/**/*.test.ts'],
          exclude: databaseAgnostic,
          env: { LATCHKEY_TEST_DB: 'postgresql' },
        },
      },
    ],
  },
});

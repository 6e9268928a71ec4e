// What the `latchkey` command loads, recorded from real processes (test/support/record-modules.mjs):
// `--help` loads none of the gateway, and a gateway on SQLite never loads the PostgreSQL driver nor,
// before a first /mcp request, the MCP SDK.
// Start-up time and memory are measured side by side in `npm run bench:startup`, not asserted here.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from './support/gateway.js';

const bin = fileURLToPath(new URL('../bin/latchkey.js', import.meta.url));
const recorder = fileURLToPath(new URL('./support/record-modules.mjs', import.meta.url));
const folder = mkdtempSync(join(tmpdir(), 'latchkey-imports-'));
const baseEnv = {
  PATH: process.env.PATH ?? '',
  HOME: folder,
  LATCHKEY_ENCRYPTION_KEY: Buffer.alloc(32, 9).toString('base64'),
  LATCHKEY_LOG_LEVEL: 'warn',
};

const POSTGRESQL_DRIVER = /\/node_modules\/(pg|pg-pool|pg-protocol|@prisma\/adapter-pg)\//;
const SQLITE_DRIVER = /\/node_modules\/(better-sqlite3|@prisma\/adapter-better-sqlite3)\//;
// dist/bundle/ (esbuild, split at each dynamic import) names a lazily imported part after its module: server-<hash>.js.
// `serve` runs dist/bundle/gateway.cjs through vm (no module record), loaded by gateway-loader-<hash>.js.
const GATEWAY = /\/node_modules\/(graphql-yoga|@pothos\/core|@prisma\/client|openid-client)\/|\/(src|dist)\/(app|server|services|gateway|gateway-loader)\.(ts|js)$|\/dist\/bundle\/(app|server|services|gateway|gateway-loader)-\w+\.js$/;

afterAll(() => rmSync(folder, { recursive: true, force: true }));

function start(args: string[], name: string, env: Record<string, string> = {}) {
  const modulesFile = join(folder, `${name}.modules`);
  const child = spawn(process.execPath, ['--import', recorder, bin, ...args], {
    cwd: folder,
    env: { ...baseEnv, LATCHKEY_TEST_MODULES_FILE: modulesFile, ...env },
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const modules = () => readFileSync(modulesFile, 'utf8').split('\n').filter(Boolean);
  return { child, exited, modules, output: () => output };
}

describe('what the latchkey command loads', () => {
  it('help and --help exit 0 with the usage, loading nothing of the gateway or a database driver', async () => {
    for (const args of [['--help'], ['help']]) {
      const run = start(args, `help-${args[0]}`);
      expect(await run.exited).toBe(0);
      expect(run.output()).toContain('Usage: latchkey <command>');
      const loaded = run.modules();
      expect(loaded.some((url) => url.includes('/cli.'))).toBe(true); // the recorder saw the CLI itself
      expect(loaded.filter((url) => GATEWAY.test(url) || POSTGRESQL_DRIVER.test(url) || SQLITE_DRIVER.test(url))).toEqual([]);
    }
  });

  it('migrating a current database does not load the schema engine (its WebAssembly loads only when a migration is missing)', async () => {
    const env = { DATABASE_URL: `file:${join(folder, 'current.db')}` };
    const first = start(['migrate'], 'migrate-new', env);
    expect(await first.exited, first.output()).toBe(0);
    expect(first.modules().filter((url) => url.includes('/@prisma/schema-engine-wasm/')).length).toBeGreaterThan(0);
    const again = start(['migrate'], 'migrate-current', env);
    expect(await again.exited, again.output()).toBe(0);
    expect(again.output()).toContain('The database is up to date.');
    expect(again.modules().filter((url) => url.includes('/@prisma/schema-engine-wasm/'))).toEqual([]);
  });

  it('a gateway on SQLite loads the SQLite driver and never the PostgreSQL one, migrating and serving', async () => {
    const port = await freePort();
    const run = start(['serve'], 'serve-sqlite', { PORT: String(port), DATABASE_URL: `file:${join(folder, 'gateway.db')}` });
    try {
      const deadline = Date.now() + 60_000;
      for (;;) {
        expect(run.child.exitCode, run.output()).toBeNull();
        const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then((response) => response.status, () => 0);
        if (ready === 200) break;
        if (Date.now() > deadline) throw new Error(`the gateway did not become ready:\n${run.output()}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      // Real traffic first, so lazily loaded paths (GraphQL, the rate limiters, the webhook worker) ran.
      const answer = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ services { service } }' }),
      });
      expect(answer.status).toBe(200);
      run.child.kill('SIGUSR2');
      await new Promise((resolve) => setTimeout(resolve, 300));
    } finally {
      run.child.kill('SIGTERM');
      await run.exited;
    }
    const loaded = run.modules();
    expect(loaded.filter((url) => SQLITE_DRIVER.test(url)).length).toBeGreaterThan(0);
    expect(loaded.filter((url) => POSTGRESQL_DRIVER.test(url))).toEqual([]);
    // Rarely used parts wait for their first request: the MCP SDK (no /mcp call was made here).
    expect(loaded.filter((url) => url.includes('/@modelcontextprotocol/'))).toEqual([]);
  });
});

// npm run bench:documents: what distinct GraphQL documents cost a gateway's memory. Anyone can send
// them, with or without a token; the gateway keeps parsed documents, parse errors and compiled
// queries for reuse (src/http/document-caches.ts, LATCHKEY_DOCUMENT_CACHE_MB). For each kind of
// document, gateways started as `npm start` starts one (compiled dist/, the probe of
// scripts/bench-probe.mjs loaded) receive BENCH_DOCUMENTS (default 1,100) distinct documents without
// a token, then report their heap after a full GC and their RSS:
//   padded   a small query after 240 KB of comments (comments are not tokens: within every limit)
//   tokens   a valid 379-token query (25 aliased selections)
//   broken   240 KB that fails to parse
// BENCH_BASELINE="NAME=value …; …" adds gateways with other settings, e.g. LATCHKEY_DOCUMENT_CACHE_MB=1024
// (the most it allows: about what 1,024 entries a cache without a byte bound held).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { ask, freePort } from './bench-child.js';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const COUNT = Number(process.env.BENCH_DOCUMENTS ?? 1100);
const KINDS: Record<string, (index: number) => string> = {
  padded: (index) => `# ${index}\n${`#${'x'.repeat(199)}\n`.repeat(1200)}{ secrets { loggedInServices { service } } }`,
  tokens: (index) =>
    `query Q${index} { ${Array.from({ length: 25 }, (_, alias) => `a${alias}: secrets { loggedInServices { service isLoggedIn expiresAt grantedScopes { scope } } }`).join(' ')} }`,
  broken: (index) => `{ secrets ${index} ${'x'.repeat(240_000)}`,
};

async function startGateway(dir: string, env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const root = fileURLToPath(new URL('../', import.meta.url));
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', new URL('./bench-probe.mjs', import.meta.url).href, join(root, 'bin/latchkey.js'), 'serve'], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: {
      PATH: process.env.PATH ?? '',
      DATABASE_URL: `file:${join(dir, `${randomBytes(4).toString('hex')}.db`)}`,
      LATCHKEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      LATCHKEY_LOG_LEVEL: 'error',
      // Measures what documents cost, not the limiter that would stop one address sooner.
      LATCHKEY_RATE_LIMIT_FAILED_AUTH_PER_MINUTE: '0',
      ...env,
      PORT: String(port),
      HOST: '127.0.0.1',
    },
  });
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    if (child.exitCode !== null) throw new Error('the gateway exited before it was ready');
    try {
      if ((await fetch(`${url}/readyz`)).ok) return { child, url };
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

type Memory = { rss: number; heapUsed: number };
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);

async function main(): Promise<void> {
  const variants = [{ label: 'default', env: {} as Record<string, string> }];
  for (const spec of (process.env.BENCH_BASELINE ?? '').split(';').filter((text) => text.trim())) {
    const words = spec.trim().split(/\s+/);
    variants.push({ label: words.join(' '), env: Object.fromEntries(words.map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)])) });
  }
  console.log(`${COUNT} distinct documents of each kind, no token; load average ${loadavg().map((value) => value.toFixed(1)).join(' ')}`);
  console.log('| kind | gateway | heap after a full GC, ready → after (MB) | RSS ready → after (MB) |\n| --- | --- | --- | --- |');
  const dir = await mkdtemp(join(tmpdir(), 'latchkey-documents-'));
  try {
    for (const [kind, document] of Object.entries(KINDS)) {
      for (const variant of variants) {
        const { child, url } = await startGateway(dir, variant.env);
        try {
          const before = (await ask<{ memory: Memory }>(child, 'probe:memory', { gc: true })).memory;
          for (let offset = 0; offset < COUNT; offset += 50) {
            await Promise.all(
              Array.from({ length: Math.min(50, COUNT - offset) }, async (_, index) => {
                const response = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: document(offset + index) }) });
                await response.text();
              }),
            );
          }
          const after = (await ask<{ memory: Memory }>(child, 'probe:memory', { gc: true })).memory;
          console.log(`| ${kind} | ${variant.label} | ${mb(before.heapUsed)} → ${mb(after.heapUsed)} | ${mb(before.rss)} → ${mb(after.rss)} |`);
        } finally {
          const exited = new Promise((resolve) => child.once('exit', resolve));
          child.send({ type: 'probe:stop' });
          await exited;
        }
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  console.log(`load average after: ${loadavg().map((value) => value.toFixed(1)).join(' ')}`);
}

await main();

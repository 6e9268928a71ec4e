// `npm run bench:startup`: start-up time and memory of the `latchkey` command as whole processes,
// measured with /usr/bin/time -v (GNU time; `apt-get install time`). Runs each case BENCH_ROUNDS
// times (default 5) and prints the medians:
//   - `latchkey --help`: wall time, CPU and peak RSS
//   - `latchkey serve` on SQLite (a database migrated beforehand, as on every start but the first):
//     wall time until /readyz answers 200, RSS then and after 5 s idle, CPU and peak RSS of the run
// BENCH_BASELINE=/path/to/other/bin/latchkey.js measures that checkout too, its rounds interleaved
// with this one's, and prints both (e.g. a copy of main's bin/, dist/ and src/ from before a change);
// several entries, and settings per entry, are described at parseBaselines.
// Plain JavaScript, so measuring does not load tsx into this process.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const thisBin = fileURLToPath(new URL('../bin/latchkey.js', import.meta.url));
// BENCH_BASELINE: one or more entries separated by ';', each a bin path with optional NAME=value
// settings before it (e.g. "LATCHKEY_CODE_CACHE=0 bin/latchkey.js; /tmp/main-copy/bin/latchkey.js").
function parseBaselines(text) {
  return text
    .split(';')
    .map((entry) => entry.trim().split(/\s+/).filter(Boolean))
    .filter((words) => words.length > 0)
    .map((words) => {
      const settings = Object.fromEntries(words.slice(0, -1).map((word) => word.split(/=(.*)/s).slice(0, 2)));
      const bin = words.at(-1);
      return { name: `baseline${words.length > 1 ? ` ${words.slice(0, -1).join(' ')}` : ''}${bin === 'bin/latchkey.js' ? '' : ` ${bin}`}`, bin: bin === 'bin/latchkey.js' ? thisBin : bin, env: settings };
    });
}
const variants = [{ name: 'this checkout', bin: thisBin, env: {} }, ...parseBaselines(process.env.BENCH_BASELINE ?? '')];
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const IDLE_MS = 5000;

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function parseTime(stderr) {
  const field = (label) => Number(new RegExp(`${label}: ([\\d.:]+)`).exec(stderr)?.[1] ?? NaN);
  return { cpu: field('User time \\(seconds\\)') + field('System time \\(seconds\\)'), maxRssMb: field('Maximum resident set size \\(kbytes\\)') / 1024 };
}

function run(bin, args, env, cwd, onStart) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('/usr/bin/time', ['-v', process.execPath, bin, ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, wallS: (performance.now() - started) / 1000, stderr, ...parseTime(stderr) }));
    onStart?.(child, started);
  });
}

const freePort = () =>
  new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

/** The RSS of the node process that /usr/bin/time started (its only child). */
function rssMbOfChildOf(timePid) {
  const children = readFileSync(`/proc/${timePid}/task/${timePid}/children`, 'utf8').trim().split(/\s+/);
  const status = readFileSync(`/proc/${children[0]}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024;
}

async function serveOnce(bin, cwd, env) {
  const port = await freePort();
  let readyS = NaN;
  let readyRss = NaN;
  let idleRss = NaN;
  const result = await run(bin, ['serve'], { ...env, PORT: String(port) }, cwd, (child, started) => {
    (async () => {
      for (;;) {
        if (child.exitCode !== null || child.signalCode !== null) return; // died before ready: reported below
        try {
          const response = await fetch(`http://127.0.0.1:${port}/readyz`);
          if (response.status === 200) break;
        } catch {
          // not listening yet
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      readyS = (performance.now() - started) / 1000;
      readyRss = rssMbOfChildOf(child.pid);
      await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
      idleRss = rssMbOfChildOf(child.pid);
      process.kill(Number(readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/)[0]), 'SIGTERM');
    })().catch((error) => {
      console.error(error);
      child.kill('SIGKILL');
    });
  });
  if (!Number.isFinite(readyS)) throw new Error(`${bin} serve exited before /readyz answered:\n${result.stderr.split('\n').slice(0, 8).join('\n')}`);
  return { readyS, readyRss, idleRss, cpu: result.cpu, maxRssMb: result.maxRssMb };
}

const folder = mkdtempSync(join(tmpdir(), 'latchkey-startup-'));
const env = {
  DATABASE_URL: `file:${join(folder, 'latchkey.db')}`,
  LATCHKEY_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
  LATCHKEY_LOG_LEVEL: 'warn',
  NODE_ENV: 'development',
};
try {
  const floor = [];
  const results = variants.map(() => ({ help: [], serve: [] }));
  for (let round = 0; round < rounds; round += 1) {
    floor.push(await new Promise((resolve) => {
      const started = performance.now();
      const child = spawn('/usr/bin/time', ['-v', process.execPath, '-e', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk) => (stderr += chunk));
      child.on('exit', () => resolve({ wallS: (performance.now() - started) / 1000, ...parseTime(stderr) }));
    }));
    for (const [index, variant] of variants.entries()) {
      const result = await run(variant.bin, ['--help'], { ...env, ...variant.env }, folder);
      if (result.code !== 0) throw new Error(`${variant.name}: latchkey --help exited ${result.code}`);
      results[index].help.push(result);
    }
  }
  // Migrated once, by this checkout, so every start measured finds the database current.
  const migrated = await run(thisBin, ['migrate'], env, folder);
  if (migrated.code !== 0) throw new Error(`latchkey migrate exited ${migrated.code}: ${migrated.stderr}`);
  const loadBefore = (await import('node:os')).loadavg();
  for (let round = 0; round < rounds; round += 1) {
    for (const [index, variant] of variants.entries()) results[index].serve.push(await serveOnce(variant.bin, folder, { ...env, ...variant.env }));
  }

  const fmt = (value, digits = 2) => (Number.isFinite(value) ? value.toFixed(digits) : '—');
  const pick = (rows, key) => median(rows.map((row) => row[key]));
  const load = (values) => values.map((v) => v.toFixed(1)).join(' ');
  console.log(`medians of ${rounds} runs, Node ${process.version}, load average ${load(loadBefore)} before serving, ${load((await import('node:os')).loadavg())} after`);
  console.log('| process | wall | user + sys CPU | RSS | max RSS |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  console.log(`| \`node -e 0\` (floor) | ${fmt(pick(floor, 'wallS'))} s | ${fmt(pick(floor, 'cpu'))} s | | ${fmt(pick(floor, 'maxRssMb'), 0)} MB |`);
  for (const [index, variant] of variants.entries()) {
    const { help, serve } = results[index];
    const label = variants.length > 1 ? ` (${variant.name})` : '';
    console.log(`| \`latchkey --help\`${label} | ${fmt(pick(help, 'wallS'))} s | ${fmt(pick(help, 'cpu'))} s | | ${fmt(pick(help, 'maxRssMb'), 0)} MB |`);
    console.log(`| \`latchkey serve\` until \`/readyz\` answers${label} | ${fmt(pick(serve, 'readyS'))} s | ${fmt(pick(serve, 'cpu'))} s (whole run) | ${fmt(pick(serve, 'readyRss'), 0)} MB | ${fmt(pick(serve, 'maxRssMb'), 0)} MB |`);
    console.log(`| \`latchkey serve\`, idle ${IDLE_MS / 1000} s after ready${label} | | | ${fmt(pick(serve, 'idleRss'), 0)} MB | |`);
  }
} finally {
  rmSync(folder, { recursive: true, force: true });
}

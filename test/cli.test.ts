// The commands a newcomer runs, as separate processes in an empty folder with no configuration.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from './support/gateway.js';

const bin = fileURLToPath(new URL('../bin/latchkey.js', import.meta.url));
const folder = mkdtempSync(join(tmpdir(), 'latchkey-cli-'));
const cleanEnv = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? folder };
const running: ChildProcess[] = [];

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: folder, env: { ...cleanEnv, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function waitFor(url: string, child: ChildProcess, output: () => string): Promise<Response> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the gateway exited early:\n${output()}`);
    try {
      return await fetch(url);
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`the gateway did not answer on ${url}:\n${output()}`);
}

afterAll(() => {
  for (const child of running) child.kill('SIGKILL');
  rmSync(folder, { recursive: true, force: true });
});

describe('latchkey CLI with no configuration at all', () => {
  let siteToken = '';

  it('site create migrates the embedded database, generates a development key and prints the token once', async () => {
    const result = await run(['site', 'create', 'My site', '--origin', 'http://localhost:3000']);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toMatch(/^lks_[A-Za-z0-9_-]{43}$/);
    siteToken = result.stdout.trim();
    expect(result.stderr).toContain('LATCHKEY_ENCRYPTION_KEY is not set');
    expect(result.stderr).not.toContain(siteToken);
    expect(existsSync(join(folder, 'data', 'latchkey.db'))).toBe(true);
    expect(existsSync(join(folder, 'data', 'encryption.key'))).toBe(true);
  });

  it('migrate reports an up-to-date database', async () => {
    const result = await run(['migrate']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('up to date');
  });

  it('serve answers health, readiness and the site token on the same database', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [bin, 'serve'], { cwd: folder, env: { ...cleanEnv, PORT: String(port) } });
    running.push(child);
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const health = await waitFor(`http://127.0.0.1:${port}/healthz`, child, () => output);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${siteToken}` },
      body: JSON.stringify({ query: '{ secrets { github { isLoggedIn } } site { name allowedOrigins } }' }),
    });
    expect(await response.json()).toEqual({
      data: { secrets: { github: { isLoggedIn: false } }, site: { name: 'My site', allowedOrigins: ['http://localhost:3000'] } },
    });
    // A second process on the same SQLite file while the gateway holds it open.
    const second = await run(['site', 'create', 'Second site']);
    expect(second.code).toBe(0);
    expect(second.stdout.trim()).toMatch(/^lks_/);
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('close', resolve));
    expect(output).not.toContain(siteToken);
  });

  it('refuses to start in production without an encryption key, saying what to set', async () => {
    const result = await run(['serve'], { NODE_ENV: 'production' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('LATCHKEY_ENCRYPTION_KEY is required');
  });

  it('names the variable that is wrong', async () => {
    const result = await run(['migrate'], { DATABASE_URL: 'mysql://nope' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('DATABASE_URL');
  });
});

// The admin commands as an operator runs them: separate processes on the gateway's own database,
// next to a running gateway that sees what they do.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from './support/fake-github.js';
import { freePort, startTestGateway, type TestGateway } from './support/gateway.js';
import { APP_ORIGIN, connectViaFinishAuth } from './support/connect.js';

const bin = fileURLToPath(new URL('../bin/latchkey.js', import.meta.url));
const folder = mkdtempSync(join(tmpdir(), 'latchkey-admin-'));
let github: FakeGitHub;
let gateway: TestGateway;
let env: Record<string, string>;

function run(args: string[], extraEnv: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: folder, env: { PATH: process.env.PATH ?? '', HOME: folder, ...env, ...extraEnv } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  github = await startFakeGitHub();
  gateway = await startTestGateway(github.appEnv);
  env = {
    ...github.appEnv,
    DATABASE_URL: gateway.databaseUrl,
    LATCHKEY_ENCRYPTION_KEY: gateway.config.encryptionKey.toString('base64'),
    PORT: String(new URL(gateway.url).port),
  };
});

afterAll(async () => {
  await gateway?.close();
  await github?.close();
  rmSync(folder, { recursive: true, force: true });
});

describe('help', () => {
  it('exits 0 with usage for help, --help and every command --help', async () => {
    for (const args of [['help'], ['--help'], ['site', 'list', '--help'], ['site', 'token', '--help'], ['connections', '--help'], ['audit', '--help'], ['doctor', '--help'], ['site', 'create', '--help'], ['migrate', '--help']]) {
      const result = await run(args);
      expect(result.code, args.join(' ')).toBe(0);
      expect(result.stdout, args.join(' ')).toMatch(/latchkey/);
      expect(result.stderr, args.join(' ')).toBe('');
    }
  });

  it('suggests the right command, status or service for a misspelled one, without a stack trace', async () => {
    const command = await run(['conections']);
    expect(command.code).toBe(2);
    expect(command.stderr).toContain('Did you mean "connections"?');
    const status = await run(['connections', '--status', 'NEEDS_REAUT']);
    expect(status.code).toBe(1);
    expect(status.stderr).toContain('Did you mean "NEEDS_REAUTH"?');
    const service = await run(['connections', '--service', 'githb']);
    expect(service.stderr).toContain('Did you mean "GITHUB"?');
    for (const result of [command, status, service]) expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses to create a second, empty SQLite database from another folder', async () => {
    const result = await run(['site', 'list'], { DATABASE_URL: 'file:./elsewhere/latchkey.db' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`Using the SQLite database ${join(folder, 'elsewhere', 'latchkey.db')}`);
    expect(result.stderr).toContain('There is no database at');
  });
});

describe('sites and tokens', () => {
  it('site list shows every site with its live site tokens, and says which database it used', async () => {
    const site = await gateway.createSite('Listed site', [APP_ORIGIN]);
    const result = await run(['site', 'list']);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/Using the (SQLite|PostgreSQL) database/);
    const line = result.stdout.split('\n').find((candidate) => candidate.startsWith(site.siteId));
    expect(line).toContain('"Listed site"');
    expect(line).toContain(APP_ORIGIN);
    expect(line).toContain('siteTokens=1');
  });

  it('site token gives a site whose last token was revoked a working one', async () => {
    const site = await gateway.createSite('Locked out', [APP_ORIGIN]);
    const tokens = await gateway.gql('{ accessTokens { id } }', undefined, site.token);
    const revoked = await gateway.gql('mutation ($id: ID!) { revokeAccessToken(id: $id) { revokedAt } }', { id: tokens.body.data.accessTokens[0].id }, site.token);
    expect(revoked.body.errors).toBeUndefined();
    expect((await gateway.gql('{ site { name } }', undefined, site.token)).status).toBe(401);

    const result = await run(['site', 'token', 'Locked out']);
    expect(result.code).toBe(0);
    const token = result.stdout.trim();
    expect(token).toMatch(/^lks_[A-Za-z0-9_-]{43}$/);
    expect(result.stderr).not.toContain(token);
    expect((await gateway.gql('{ site { name } }', undefined, token)).body.data).toEqual({ site: { name: 'Locked out' } });
    expect((await run(['site', 'token', 'no such site'])).stderr).toContain('No site "no such site"');
  });
});

describe('connections and audit', () => {
  let site: { siteId: string; token: string };

  beforeAll(async () => {
    site = await gateway.createSite('Connected', [APP_ORIGIN]);
    await connectViaFinishAuth(gateway.gql, site.token, 'GITHUB');
    await gateway.gateway.db.connection.updateMany({ where: { siteId: site.siteId }, data: { status: 'NEEDS_REAUTH', lastError: 'GitHub refused the refresh token (invalid_grant)' } });
  });

  it('connections --status NEEDS_REAUTH lists what needs attention, without any token', async () => {
    const result = await run(['connections', '--status', 'needs_reauth', '--site', site.siteId]);
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('GITHUB');
    expect(lines[0]).toContain('NEEDS_REAUTH');
    expect(lines[0]).toContain('invalid_grant');
    for (const issued of github.state.issuedTokens) expect(result.stdout).not.toContain(issued.accessToken);
    expect((await run(['connections', '--status', 'ACTIVE', '--site', site.siteId])).stdout).toBe('');
  });

  it('audit prints JSON lines for a site since a time', async () => {
    const result = await run(['audit', '--site', site.siteId, '--since', '1h']);
    expect(result.code).toBe(0);
    const events = result.stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(events.map((event) => event.type)).toEqual(expect.arrayContaining(['site.created', 'auth.started', 'auth.completed']));
    expect(events.every((event) => event.siteId === site.siteId)).toBe(true);
    expect((await run(['audit', '--site', site.siteId, '--since', '2999-01-01'])).stdout).toBe('');
    expect((await run(['audit', '--since', 'yesterday'])).stderr).toContain('neither a date');
  });
});

describe('doctor', () => {
  it('finds nothing wrong with a working installation', async () => {
    const result = await run(['doctor']);
    expect(result.stdout).toContain('ok   provider GITHUB');
    expect(result.stdout).toContain('ok   migrations');
    expect(result.stdout).toContain('ok   encryption key: decrypts the stored tokens');
    expect(result.stdout).toContain('No problems found.');
    expect(result.code).toBe(0);
  });

  it('names a wrong key, an unreachable provider and a plain-http public URL, with the fix', async () => {
    const closed = await freePort();
    const result = await run(['doctor'], {
      LATCHKEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      LATCHKEY_GITHUB_TOKEN_URL: `http://127.0.0.1:${closed}/token`,
      LATCHKEY_PUBLIC_URL: 'http://gateway.example.com',
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('FAIL encryption key: LATCHKEY_ENCRYPTION_KEY does not decrypt');
    expect(result.stdout).toContain('LATCHKEY_PREVIOUS_ENCRYPTION_KEYS');
    expect(result.stdout).toMatch(/FAIL provider GITHUB: token endpoint http:\/\/127\.0\.0\.1:\d+ unreachable \(ECONNREFUSED\)/);
    expect(result.stdout).toContain('FAIL public URL');
    expect(result.stdout).toContain('3 problem(s) found.');
  });
});

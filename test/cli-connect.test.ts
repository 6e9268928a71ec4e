// `latchkey connect SERVICE` as a real process against a running gateway and the GitHub fake: it
// prints the authorization URL, the test plays the browser, and the command's long-poll sees the
// attempt finish.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from './support/fake-github.js';
import { providerUrlOfAttempt, followRedirects, startTestGateway, type TestGateway } from './support/gateway.js';

const bin = fileURLToPath(new URL('../bin/latchkey.js', import.meta.url));
const folder = mkdtempSync(join(tmpdir(), 'latchkey-connect-'));

let github: FakeGitHub;
let gateway: TestGateway;
let site: { siteId: string; token: string };

interface RunningCommand {
  /** Resolves with the first stdout line that is a URL. */
  url: Promise<string>;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

function runConnect(args: string[], env: Record<string, string> = {}): RunningCommand {
  const child = spawn(process.execPath, [bin, 'connect', ...args], {
    cwd: folder,
    env: { PATH: process.env.PATH ?? '', HOME: folder, ...env },
  });
  let stdout = '';
  let stderr = '';
  let resolveUrl: (url: string) => void;
  let rejectUrl: (error: Error) => void;
  const url = new Promise<string>((resolve, reject) => {
    resolveUrl = resolve;
    rejectUrl = reject;
  });
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
    const line = stdout.split('\n').find((candidate) => /^https?:\/\//.test(candidate.trim()));
    if (line) resolveUrl(line.trim());
  });
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    child.on('close', (code) => {
      rejectUrl(new Error(`connect exited (${code}) without printing a URL:\n${stdout}\n${stderr}`));
      resolve({ code, stdout, stderr });
    });
  });
  url.catch(() => {}); // a command that fails early prints no URL; tests that expect one await it
  return { url, done };
}

/** The browser: GitHub's consent, then the gateway's callback page. */
async function browse(authorizationUrl: string): Promise<void> {
  const { final, cookie } = await followRedirects(authorizationUrl, (url) => url.pathname.startsWith('/oauth/callback/'));
  const page = await fetch(final, { redirect: 'manual', headers: { cookie } });
  await page.body?.cancel();
}

beforeAll(async () => {
  github = await startFakeGitHub();
  gateway = await startTestGateway({
    ...github.appEnv,
  });
  site = await gateway.createSite('CLI');
});

afterAll(async () => {
  await gateway?.close();
  await github?.close();
  rmSync(folder, { recursive: true, force: true });
});

beforeEach(() => {
  github.state.denyAuthorization = false;
});

describe('latchkey connect', () => {
  it('prints the URL, waits for the browser and reports the connection', async () => {
    const command = runConnect(['github', '--scope', 'read:user', '--scope', 'repo', '--gateway', gateway.url], { LATCHKEY_SITE_TOKEN: site.token });
    const authorizationUrl = await command.url;
    expect(new URL(authorizationUrl).origin).toBe(new URL(gateway.publicUrl).origin);
    const providerUrl = await providerUrlOfAttempt(gateway, new URL(authorizationUrl).pathname.split('/').at(-1)!);
    expect(providerUrl.origin).toBe(github.url);
    expect(providerUrl.searchParams.get('scope')!.split(' ').sort()).toEqual(['read:user', 'repo']);
    await browse(authorizationUrl);

    const { code, stdout, stderr } = await command.done;
    expect(stderr).toContain('Waiting for the browser');
    expect(code).toBe(0);
    expect(stdout).toContain(`Connected GITHUB as ${github.state.user.login} (foreignUserId ${github.state.user.id})`);
    expect(stdout).toMatch(/Granted scopes: (read:user repo|repo read:user)/);
    for (const output of [stdout, stderr]) {
      expect(output).not.toContain(site.token);
      expect(output).not.toContain(github.state.lastToken!.accessToken);
    }
    const secrets = await gateway.gql('{ secrets { github { isLoggedIn } } }', undefined, site.token);
    expect(secrets.body.data.secrets.github.isLoggedIn).toBe(true);
    // A client of the gateway: it never touched a local database or key.
    expect(existsSync(join(folder, 'data'))).toBe(false);
  });

  it('exits 1 with what to do when the browser denies access', async () => {
    github.state.denyAuthorization = true;
    const command = runConnect(['GITHUB', '--gateway', gateway.url, '--token', site.token]);
    await browse(await command.url);
    const { code, stdout, stderr } = await command.done;
    expect(code).toBe(1);
    expect(stderr).toContain('access_denied');
    expect(stderr).toContain('latchkey connect GITHUB');
    expect(stdout + stderr).not.toContain(site.token);
  });

  it('exits 1 naming UNAUTHENTICATED for a token the gateway refuses, without echoing it', async () => {
    const wrong = 'lks_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    const { code, stdout, stderr } = await runConnect(['GITHUB', '--gateway', gateway.url], { LATCHKEY_SITE_TOKEN: wrong }).done;
    expect(code).toBe(1);
    expect(stderr).toContain('UNAUTHENTICATED');
    expect(stderr).toContain('LATCHKEY_SITE_TOKEN');
    expect(stdout + stderr).not.toContain(wrong);
  });

  it('exits 1 with the gateway’s reason for a service it refuses', async () => {
    const { code, stderr } = await runConnect(['SPOTIFY', '--gateway', gateway.url], { LATCHKEY_SITE_TOKEN: site.token }).done;
    expect(code).toBe(1);
    expect(stderr).toContain('No OAuth app is configured for Spotify');
    expect(stderr).toContain('BAD_USER_INPUT');
  });

  it('exits 2 without a site token, saying where to put it', async () => {
    const { code, stderr } = await runConnect(['GITHUB', '--gateway', gateway.url]).done;
    expect(code).toBe(2);
    expect(stderr).toContain('LATCHKEY_SITE_TOKEN');
  });

  it('reads the gateway URL from LATCHKEY_GATEWAY_URL and says when nothing answers there', async () => {
    const { code, stderr } = await runConnect(['GITHUB'], { LATCHKEY_SITE_TOKEN: site.token, LATCHKEY_GATEWAY_URL: 'http://127.0.0.1:9' }).done;
    expect(code).toBe(1);
    expect(stderr).toContain('Could not reach the gateway at http://127.0.0.1:9');
  });
});

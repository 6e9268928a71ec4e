// `latchkey keys rotate` as an operator runs it: a separate process on the gateway's database,
// killed halfway and run again, and run while a gateway writes; afterwards a gateway that has only
// the new key reads every secret.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyring, decryptSecret, encryptSecret, keyIdOf, secretContext } from '../src/crypto/token-cipher.js';
import { ENCRYPTED_COLUMNS, keyUsage } from '../src/cli/keys.js';
import { startFakeGitHub, type FakeGitHub } from './support/fake-github.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { APP_ORIGIN, approveAtFake, appRedirectUri, connectViaFinishAuth } from './support/connect.js';

const bin = fileURLToPath(new URL('../bin/latchkey.js', import.meta.url));
const folder = mkdtempSync(join(tmpdir(), 'latchkey-keys-'));
const SECRETS = '{ secrets { github { isLoggedIn bearerToken } } }';
const keyA = randomBytes(32);
const keyB = randomBytes(32);
const keyC = randomBytes(32);
const b64 = (key: Buffer) => key.toString('base64');

let github: FakeGitHub;
let database: TestDatabase;
const sites: Array<{ siteId: string; token: string; accessToken: string }> = [];
let webhook: { id: string; secret: string };
let pendingAuthorizationUrl: string;
const CLIENT_SECRET = `custom-secret-${randomBytes(8).toString('hex')}`;
const APP_SECRET = `app-secret-${randomBytes(8).toString('hex')}`;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], keys: { current: Buffer; previous?: Buffer[] }, extraEnv: Record<string, string> = {}, onStderr?: (text: string, stdin: NodeJS.WritableStream) => void): Promise<Run> {
  return new Promise((resolve) => {
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: folder,
      NODE_ENV: 'test',
      ...github.appEnv,
      DATABASE_URL: database.url,
      LATCHKEY_ENCRYPTION_KEY: b64(keys.current),
      ...(keys.previous ? { LATCHKEY_PREVIOUS_ENCRYPTION_KEYS: keys.previous.map(b64).join(',') } : {}),
      ...extraEnv,
    };
    const child = spawn(process.execPath, [bin, ...args], { cwd: folder, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      onStderr?.(stderr, child.stdin);
    });
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

function startGateway(current: Buffer, previous: Buffer[] = []): Promise<TestGateway> {
  return startTestGateway(
    { ...github.appEnv, LATCHKEY_CUSTOM_SERVICE_ALLOW_LOOPBACK: 'true', LATCHKEY_ENCRYPTION_KEY: b64(current), ...(previous.length ? { LATCHKEY_PREVIOUS_ENCRYPTION_KEYS: previous.map(b64).join(',') } : {}) },
    { databaseUrl: database.url },
  );
}

/** Values per key id, over every encrypted column of every table. */
async function valuesPerKey(): Promise<Record<string, number>> {
  const totals: Record<string, number> = {};
  for (const perKey of (await keyUsage(database.db)).values()) for (const [keyId, count] of perKey) totals[keyId] = (totals[keyId] ?? 0) + count;
  return totals;
}

/** Decrypts every stored value with `key` alone (throws on the first it cannot read); returns how many. */
async function decryptEverythingWith(key: Buffer): Promise<number> {
  const keyring = createKeyring(key);
  let count = 0;
  for (const { table, model, columns } of ENCRYPTED_COLUMNS) {
    const rows = (await (database.db as any)[table].findMany()) as Array<Record<string, string | null> & { id: string }>;
    for (const row of rows) {
      for (const column of columns) {
        if (row[column]) decryptSecret(keyring, row[column]!, secretContext(model, column, row.id)), (count += 1);
      }
    }
  }
  return count;
}

async function bearerTokenOf(gateway: TestGateway, siteToken: string): Promise<string | null> {
  const result = await gateway.gql(SECRETS, undefined, siteToken);
  expect(result.body.errors).toBeUndefined();
  return result.body.data.secrets.github.bearerToken;
}

beforeAll(async () => {
  github = await startFakeGitHub();
  database = await createTestDatabase();
  // Everything below is written by a gateway whose only key is A.
  const gateway = await startGateway(keyA);
  try {
    for (let index = 0; index < 4; index += 1) {
      const site = await gateway.createSite(`Rotated ${index}`, [APP_ORIGIN]);
      await connectViaFinishAuth(gateway.gql, site.token, 'GITHUB');
      sites.push({ ...site, accessToken: github.state.lastToken!.accessToken });
    }
    const created = await gateway.gql(
      'mutation ($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret endpoint { id } } }',
      { input: { url: 'http://127.0.0.1:9/events', events: ['CONNECTION_NEEDS_REAUTH'] } },
      sites[0]!.token,
    );
    expect(created.body.errors).toBeUndefined();
    webhook = { id: created.body.data.createWebhookEndpoint.endpoint.id, secret: created.body.data.createWebhookEndpoint.secret };
    // A custom service with a client secret, one with a generated private key, and a site's own OAuth app.
    const endpoints = { authorizationEndpoint: 'http://127.0.0.1:9/authorize', tokenEndpoint: 'http://127.0.0.1:9/token' };
    const define = 'mutation ($input: DefineCustomServiceInput!) { defineCustomService(input: $input) { slug } }';
    for (const input of [
      { slug: 'with-secret', friendlyServiceName: 'With secret', clientId: 'client-1', clientSecret: CLIENT_SECRET, ...endpoints },
      { slug: 'with-key', friendlyServiceName: 'With key', clientId: 'client-2', clientAuthMethod: 'PRIVATE_KEY_JWT', ...endpoints },
    ]) {
      expect((await gateway.gql(define, { input }, sites[1]!.token)).body.errors).toBeUndefined();
    }
    const app = await gateway.gql(
      'mutation ($input: SetServiceCredentialsInput!) { setServiceCredentials(input: $input) { clientId } }',
      { input: { service: 'SPOTIFY', clientId: 'spotify-app', clientSecret: APP_SECRET } },
      sites[1]!.token,
    );
    expect(app.body.errors).toBeUndefined();
    // An authorization started before the rotation (its PKCE verifier is stored encrypted) and finished after it.
    const started = await gateway.gql(
      'mutation ($input: StartAuthInput!) { startAuth(input: $input) { authorizationUrl } }',
      { input: { service: 'GITHUB', redirectUri: appRedirectUri('GITHUB') } },
      sites[3]!.token,
    );
    expect(started.body.errors).toBeUndefined();
    pendingAuthorizationUrl = started.body.data.startAuth.authorizationUrl;
    // Tokens waiting in the revocation queue (retried only in an hour, so no gateway here touches them).
    const keyringA = createKeyring(keyA);
    await database.db.pendingRevocation.create({
      data: {
        id: 'rvk_rotated',
        siteId: sites[2]!.siteId,
        connectionId: 'con_gone',
        service: 'GITHUB',
        accessToken: encryptSecret(keyringA, 'queued-access-token', secretContext('PendingRevocation', 'accessToken', 'rvk_rotated')),
        refreshToken: encryptSecret(keyringA, 'queued-refresh-token', secretContext('PendingRevocation', 'refreshToken', 'rvk_rotated')),
        nextAttemptAt: new Date(Date.now() + 3600_000),
      },
    });
  } finally {
    await gateway.close();
  }
});

afterAll(async () => {
  await github?.close();
  await database?.cleanup();
  rmSync(folder, { recursive: true, force: true });
});

describe('keys commands', () => {
  it('--help exits 0 for keys, keys rotate and keys status; an unknown subcommand is suggested', async () => {
    for (const args of [['keys', '--help'], ['keys', 'rotate', '--help'], ['keys', 'status', '--help']]) {
      const result = await run(args, { current: keyB });
      expect(result.code, args.join(' ')).toBe(0);
      expect(result.stdout, args.join(' ')).toContain('latchkey keys');
      expect(result.stderr, args.join(' ')).toBe('');
    }
    const misspelled = await run(['keys', 'rotat'], { current: keyB });
    expect(misspelled.code).toBe(2);
    expect(misspelled.stderr).toContain('Did you mean "rotate"?');
    const badBatch = await run(['keys', 'rotate', '--batch-size', '0'], { current: keyB, previous: [keyA] });
    expect(badBatch.code).toBe(1);
    expect(badBatch.stderr).toContain('--batch-size must be');
  });

  it('a rotation killed halfway is finished by the next run, a third finds nothing, and a gateway with only the new key reads every secret', async () => {
    const idA = keyIdOf(keyA);
    const idB = keyIdOf(keyB);
    const before = await valuesPerKey();
    // 4 connections (access + refresh token), the webhook secret, the pending attempt's verifier, the key check.
    expect(before[idA]).toBeGreaterThanOrEqual(4 + 1 + 1 + 1);
    expect(before[idB]).toBeUndefined();
    const perModel = await keyUsage(database.db);
    for (const { model } of ENCRYPTED_COLUMNS) expect(perModel.get(model)!.get(idA), `${model} has values to rotate`).toBeGreaterThan(0);
    expect(perModel.get('CustomService')!.get(idA)).toBe(2);
    await expect(decryptEverythingWith(keyB)).rejects.toThrow();

    const status = await run(['keys', 'status'], { current: keyB, previous: [keyA] });
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`current key id: ${idB}`);
    expect(status.stdout).toMatch(new RegExp(`Connection: ${idA}=\\d+`));
    expect(status.stdout).toContain('run "latchkey keys rotate"');

    const crashed = await run(['keys', 'rotate', '--batch-size', '2'], { current: keyB, previous: [keyA] }, { LATCHKEY_TEST_ROTATE_CRASH_AFTER: '3' });
    expect(crashed.signal).toBe('SIGKILL');
    const halfway = await valuesPerKey();
    expect(halfway[idB]).toBeGreaterThan(0);
    expect(halfway[idA]).toBeGreaterThan(0);
    expect(halfway[idA]! + halfway[idB]!).toBe(before[idA]);

    const resumed = await run(['keys', 'rotate', '--batch-size', '2'], { current: keyB, previous: [keyA] });
    for (const site of sites) expect(resumed.stdout + resumed.stderr).not.toContain(site.accessToken);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain(`Done: ${halfway[idA]} value(s) re-encrypted`);
    expect(resumed.stdout).toMatch(/Connection: 4 row\(s\), \d+ value\(s\) re-encrypted/);
    expect(resumed.stdout).toContain('can be removed from LATCHKEY_PREVIOUS_ENCRYPTION_KEYS');
    expect(await valuesPerKey()).toEqual({ [idB]: before[idA] });

    const third = await run(['keys', 'rotate'], { current: keyB, previous: [keyA] });
    expect(third.code).toBe(0);
    expect(third.stdout).toContain(`Done: 0 value(s) re-encrypted, ${before[idA]} already under key ${idB}`);

    expect(await decryptEverythingWith(keyB)).toBe(before[idA]);
    const custom = await database.db.customService.findFirstOrThrow({ where: { slug: 'with-secret' } });
    expect(decryptSecret(createKeyring(keyB), custom.clientSecret!, secretContext('CustomService', 'clientSecret', custom.id))).toBe(CLIENT_SECRET);
    const appRow = await database.db.serviceCredential.findFirstOrThrow({ where: { clientId: 'spotify-app' } });
    expect(decryptSecret(createKeyring(keyB), appRow.clientSecret!, secretContext('ServiceCredential', 'clientSecret', appRow.id))).toBe(APP_SECRET);

    const gateway = await startGateway(keyB);
    try {
      for (const site of sites) expect(await bearerTokenOf(gateway, site.token)).toBe(site.accessToken);
      const endpoint = await database.db.webhookEndpoint.findUniqueOrThrow({ where: { id: webhook.id } });
      expect(decryptSecret(createKeyring(keyB), endpoint.secret, secretContext('WebhookEndpoint', 'secret', webhook.id))).toBe(webhook.secret);
      // The verifier of the attempt started under key A is read under key B alone.
      const landing = await approveAtFake(pendingAuthorizationUrl);
      const finished = await gateway.gql(
        'mutation ($input: FinishAuthInput!) { finishAuth(input: $input) { isLoggedIn } }',
        { input: { code: landing.searchParams.get('code'), state: landing.searchParams.get('state') } },
        sites[3]!.token,
      );
      expect(finished.body.errors).toBeUndefined();
      expect(finished.body.data.finishAuth.isLoggedIn).toBe(true);
      sites[3]!.accessToken = github.state.lastToken!.accessToken;
      expect(await bearerTokenOf(gateway, sites[3]!.token)).toBe(sites[3]!.accessToken);
    } finally {
      await gateway.close();
    }
  });

  it('a token a serving gateway writes during the rotation is kept, not overwritten with the old one', async () => {
    const idC = keyIdOf(keyC);
    // The serving instance already runs with the new key C, reading B as previous.
    const serving = await startGateway(keyC, [keyB]);
    try {
      let wrote: Promise<void> | undefined;
      const rotation = await run(['keys', 'rotate'], { current: keyC, previous: [keyB] }, { LATCHKEY_TEST_ROTATE_PAUSE: '1' }, (stderr, stdin) => {
        // The command has read the connections; the gateway now connects site 0 again (new tokens), then the command goes on.
        if (!wrote && stderr.includes('paused')) {
          wrote = connectViaFinishAuth(serving.gql, sites[0]!.token, 'GITHUB').then(() => {
            sites[0]!.accessToken = github.state.lastToken!.accessToken;
            stdin.write('\n');
          });
        }
      });
      await wrote;
      expect(rotation.code, rotation.stderr).toBe(0);
      expect(rotation.stdout).toMatch(/Connection: 4 row\(s\), \d+ value\(s\) re-encrypted, 0 already current, \d+ rewritten by a gateway meanwhile \(kept\)/);
      expect(await bearerTokenOf(serving, sites[0]!.token)).toBe(sites[0]!.accessToken);
    } finally {
      await serving.close();
    }
    expect(Object.keys(await valuesPerKey())).toEqual([idC]);
    await decryptEverythingWith(keyC);

    // A key that reads nothing changes nothing and says which variable to fix.
    const wrongKey = await run(['keys', 'rotate'], { current: randomBytes(32) });
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stdout).toContain('cannot be decrypted with the configured keys and were left as they are: add the key');
    expect(Object.keys(await valuesPerKey())).toEqual([idC]);
    const gateway = await startGateway(keyC);
    try {
      for (const site of sites) expect(await bearerTokenOf(gateway, site.token)).toBe(site.accessToken);
    } finally {
      await gateway.close();
    }
  });
});

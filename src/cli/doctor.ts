// `latchkey doctor`: what is wrong with this installation and how to fix it. It reaches nothing on
// the network but the database and the endpoints of the providers this gateway is configured for.
import { existsSync } from 'node:fs';
import type { Config } from '../config.js';
import { databaseProviderFromUrl, openDatabase, pendingMigrations, sqliteFilePath } from '../db/database.js';
import { createKeyring, decryptSecret, secretContext } from '../crypto/token-cipher.js';
import { providerList, resolveEndpoints, isLoopbackHost } from '../providers/index.js';
import { adminUsage, describeDatabase, type AdminIo } from './admin.js';

export interface Check {
  name: string;
  status: 'ok' | 'warn' | 'fail';
  detail: string;
  fix?: string;
}

async function checkDatabase(config: Config): Promise<Check[]> {
  const provider = databaseProviderFromUrl(config.databaseUrl);
  if (provider === 'sqlite') {
    const file = sqliteFilePath(config.databaseUrl);
    if (file !== ':memory:' && !existsSync(file)) {
      return [{ name: 'database', status: 'fail', detail: `no SQLite file at ${file}`, fix: 'run "npm start" or "npx latchkey migrate" here once, or set DATABASE_URL to the gateway\'s database' }];
    }
  }
  const db = openDatabase(config.databaseUrl);
  const checks: Check[] = [];
  try {
    try {
      await db.$queryRaw`SELECT 1`;
      checks.push({ name: 'database', status: 'ok', detail: `${provider} answers` });
    } catch (error) {
      return [{ name: 'database', status: 'fail', detail: `${provider} does not answer (${error instanceof Error ? error.message.split('\n')[0] : 'unknown error'})`, fix: 'check DATABASE_URL, that the server runs and that its user may connect' }];
    }
    const pending = await pendingMigrations(config.databaseUrl).catch(() => null);
    if (pending === null) checks.push({ name: 'migrations', status: 'fail', detail: 'could not read the applied migrations', fix: 'run "npx latchkey migrate"' });
    else if (pending.length) checks.push({ name: 'migrations', status: 'fail', detail: `${pending.length} pending: ${pending.join(', ')}`, fix: 'run "npx latchkey migrate" (npm start also applies them)' });
    else checks.push({ name: 'migrations', status: 'ok', detail: 'up to date' });

    if (pending !== null && !pending.length) {
      // One stored ciphertext is enough to tell whether the configured keys are the ones it was written with.
      const keyring = createKeyring(config.encryptionKey, config.previousEncryptionKeys);
      const row = await db.connection.findFirst({ where: { accessToken: { not: null } }, select: { id: true, accessToken: true } });
      if (row?.accessToken) {
        try {
          decryptSecret(keyring, row.accessToken, secretContext('Connection', 'accessToken', row.id));
          checks.push({ name: 'encryption key', status: 'ok', detail: 'decrypts the stored tokens' });
        } catch {
          checks.push({
            name: 'encryption key',
            status: 'fail',
            detail: 'LATCHKEY_ENCRYPTION_KEY does not decrypt the tokens stored in this database',
            fix: 'set LATCHKEY_ENCRYPTION_KEY to the key this database was written with, or list it in LATCHKEY_PREVIOUS_ENCRYPTION_KEYS after a rotation',
          });
        }
      }
    }
  } finally {
    await db.$disconnect();
  }
  return checks;
}

function checkKey(config: Config): Check {
  if (config.encryptionKeyGenerated) {
    return {
      name: 'encryption key',
      status: config.production ? 'fail' : 'warn',
      detail: `LATCHKEY_ENCRYPTION_KEY is not set; using the development key in ${config.dataDir}/encryption.key`,
      fix: 'set LATCHKEY_ENCRYPTION_KEY (openssl rand -base64 32) for anything but local development, and keep it',
    };
  }
  return { name: 'encryption key', status: 'ok', detail: 'LATCHKEY_ENCRYPTION_KEY is set' };
}

function checkPublicUrl(config: Config): Check {
  const url = new URL(config.publicUrl);
  if (url.protocol === 'https:') return { name: 'public URL', status: 'ok', detail: config.publicUrl };
  if (isLoopbackHost(url.hostname) || url.hostname === 'localhost') {
    const port = url.port || '80';
    if (port !== String(config.port)) {
      return { name: 'public URL', status: 'warn', detail: `${config.publicUrl} is on port ${port} but the gateway listens on ${config.port}`, fix: 'set LATCHKEY_PUBLIC_URL to where browsers reach this gateway (unless a proxy forwards that port)' };
    }
    return { name: 'public URL', status: config.production ? 'warn' : 'ok', detail: `${config.publicUrl} (loopback: fine for development)` };
  }
  return { name: 'public URL', status: 'fail', detail: `${config.publicUrl} is plain http on a public host: providers refuse such redirect URIs and tokens would cross the network unencrypted`, fix: 'serve the gateway behind TLS and set LATCHKEY_PUBLIC_URL=https://…' };
}

async function reachable(url: string, timeoutMs: number): Promise<string | null> {
  try {
    const response = await fetch(url, { method: 'GET', redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel();
    return null;
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    return error instanceof Error && error.name === 'TimeoutError' ? `no answer within ${timeoutMs / 1000} s` : cause ?? (error instanceof Error ? error.message : 'unreachable');
  }
}

async function checkProviders(config: Config): Promise<Check[]> {
  const configured = providerList.filter((provider) => Object.keys(config.env).some((name) => name.startsWith(`LATCHKEY_${provider.service}_`)));
  if (!configured.length) {
    return [{ name: 'providers', status: 'ok', detail: 'no gateway-wide provider configured (sites may bring their own OAuth apps)' }];
  }
  return Promise.all(
    configured.map(async (provider): Promise<Check> => {
      const endpoints = resolveEndpoints(provider, config.env);
      const name = `provider ${provider.service}`;
      if (!config.env[`LATCHKEY_${provider.service}_CLIENT_ID`]) {
        return { name, status: 'warn', detail: 'endpoints configured but no gateway-wide app', fix: `set LATCHKEY_${provider.service}_CLIENT_ID and _CLIENT_SECRET, or let each site set its own with setServiceCredentials` };
      }
      const targets = [['authorization', endpoints.authorization], ['token', endpoints.token], ['api', endpoints.api]] as const;
      const problems: string[] = [];
      for (const [label, url] of targets) {
        const problem = await reachable(url, config.providerTimeoutSeconds * 1000);
        if (problem) problems.push(`${label} endpoint ${new URL(url).origin} unreachable (${problem})`);
      }
      return problems.length
        ? { name, status: 'fail', detail: problems.join('; '), fix: `check the network and LATCHKEY_${provider.service}_AUTHORIZATION_URL / _TOKEN_URL / _API_URL` }
        : { name, status: 'ok', detail: 'authorization, token and API endpoints answer' };
    }),
  );
}

export async function runChecks(config: Config): Promise<Check[]> {
  const database = await checkDatabase(config);
  const keyFromData = database.find((check) => check.name === 'encryption key');
  return [
    ...(keyFromData?.status === 'fail' ? [] : [checkKey(config)]),
    ...database,
    checkPublicUrl(config),
    ...(await checkProviders(config)),
  ];
}

export async function doctorCommand(config: Config, args: string[], io: AdminIo): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) return io.out(adminUsage.doctor), 0;
  describeDatabase(config, io, { mustExist: false });
  const checks = await runChecks(config);
  const mark = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' };
  for (const check of checks) {
    io.out(`${mark[check.status]} ${check.name}: ${check.detail}`);
    if (check.fix && check.status !== 'ok') io.out(`     fix: ${check.fix}`);
  }
  const failed = checks.filter((check) => check.status === 'fail').length;
  io.out(failed ? `${failed} problem(s) found.` : 'No problems found.');
  return failed ? 1 : 0;
}

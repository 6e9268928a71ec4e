// `latchkey keys rotate` and `latchkey keys status`: move every stored secret to the current
// LATCHKEY_ENCRYPTION_KEY while instances keep serving, so the previous key can be dropped.
// Each value is rewritten with a conditional update (only if the column still holds the ciphertext
// that was read), so a serving instance that writes the row meanwhile wins and nothing is lost;
// values already under the current key are skipped, so a run cut short is finished by the next.
import { parseArgs } from 'node:util';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import { createKeyring, decryptSecret, DecryptionError, encryptSecret, secretContext, type Keyring } from '../crypto/token-cipher.js';
import { UsageError, withDatabase, type AdminIo } from './admin.js';

export const keysUsage = {
  keys: `latchkey keys rotate [--batch-size N]
latchkey keys status`,
  rotate: `latchkey keys rotate [--batch-size N]
  Re-encrypts every stored secret (tokens, client secrets, private keys, webhook secrets, pending
  authorization attempts, tokens awaiting revocation, the key check) under LATCHKEY_ENCRYPTION_KEY, reading older values with
  LATCHKEY_PREVIOUS_ENCRYPTION_KEYS. Safe while gateways serve (a value they write meanwhile is kept),
  resumable (run it again after an interruption). Prints rows per table and says when the previous
  keys can be removed. N: rows read per batch (default 200).`,
  status: `latchkey keys status
  Counts the stored secrets per table and per key id (never their values), and names the current key id.`,
};

/** Every encrypted column, with the model name its ciphertexts are bound to (see secretContext). */
export const ENCRYPTED_COLUMNS = [
  { table: 'connection', model: 'Connection', columns: ['accessToken', 'refreshToken'] },
  { table: 'serviceCredential', model: 'ServiceCredential', columns: ['clientSecret'] },
  { table: 'customService', model: 'CustomService', columns: ['clientSecret', 'clientPrivateKey'] },
  { table: 'webhookEndpoint', model: 'WebhookEndpoint', columns: ['secret', 'previousSecret'] },
  { table: 'authAttempt', model: 'AuthAttempt', columns: ['codeVerifier', 'nonce', 'heldTokens', 'providerUrl'] },
  { table: 'pendingRevocation', model: 'PendingRevocation', columns: ['accessToken', 'refreshToken'] },
  // Last: once it is under the new key, a gateway with only the new key may start.
  { table: 'keyCheck', model: 'KeyCheck', columns: ['value'] },
] as const;

type Row = Record<string, string | null> & { id: string };

/** The two calls rotation needs, which every one of the tables above offers. */
interface Table {
  findMany(args: { where: object; orderBy: object; take: number; select: object }): Promise<Row[]>;
  updateMany(args: { where: object; data: object }): Promise<{ count: number }>;
}

const tableOf = (db: Database, name: string) => (db as unknown as Record<string, Table>)[name]!;

const keyIdOfCiphertext = (value: string) => value.split('.')[1] ?? 'unknown';

/** Reads one table in batches by id. */
async function* batches(table: Table, columns: readonly string[], batchSize: number): AsyncGenerator<Row[]> {
  let after = '';
  for (;;) {
    const rows = await table.findMany({
      where: { id: { gt: after } },
      orderBy: { id: 'asc' },
      take: batchSize,
      select: Object.fromEntries([['id', true], ...columns.map((column) => [column, true])]),
    });
    if (!rows.length) return;
    yield rows;
    after = rows.at(-1)!.id;
    if (rows.length < batchSize) return;
  }
}

export interface RotationCounts {
  rotated: number;
  alreadyCurrent: number;
  changedMeanwhile: number;
  unreadable: number;
}

/** Test-only hooks (NODE_ENV=test): die after N rewritten rows, or pause after the first read batch. */
function testHooks(env: NodeJS.ProcessEnv, io: AdminIo) {
  const enabled = env.NODE_ENV === 'test';
  const crashAfter = enabled && env.LATCHKEY_TEST_ROTATE_CRASH_AFTER ? Number(env.LATCHKEY_TEST_ROTATE_CRASH_AFTER) : Infinity;
  let pause = enabled && env.LATCHKEY_TEST_ROTATE_PAUSE === '1';
  let written = 0;
  return {
    afterWrite() {
      written += 1;
      if (written >= crashAfter) process.kill(process.pid, 'SIGKILL');
    },
    async afterRead() {
      if (!pause) return;
      pause = false;
      io.err('paused: press Enter to continue');
      await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
      process.stdin.pause();
    },
  };
}

/** Rewrites one row's values that are not under the current key; the update applies only if none changed since the read. */
async function rotateRow(table: Table, model: string, columns: readonly string[], row: Row, keyring: Keyring, counts: RotationCounts): Promise<boolean> {
  const before: Record<string, string> = {};
  const after: Record<string, string> = {};
  for (const column of columns) {
    const value = row[column];
    if (!value) continue;
    if (keyIdOfCiphertext(value) === keyring.currentKeyId) {
      counts.alreadyCurrent += 1;
      continue;
    }
    const context = secretContext(model, column, row.id);
    try {
      after[column] = encryptSecret(keyring, decryptSecret(keyring, value, context), context);
      before[column] = value;
    } catch (error) {
      if (!(error instanceof DecryptionError)) throw error;
      counts.unreadable += 1;
    }
  }
  const changed = Object.keys(after).length;
  if (!changed) return false;
  const { count } = await table.updateMany({ where: { id: row.id, ...before }, data: after });
  if (count === 1) counts.rotated += changed;
  else counts.changedMeanwhile += changed;
  return true;
}

export async function rotateKeys(db: Database, keyring: Keyring, io: AdminIo, options: { batchSize: number; env: NodeJS.ProcessEnv }): Promise<RotationCounts> {
  const hooks = testHooks(options.env, io);
  const total: RotationCounts = { rotated: 0, alreadyCurrent: 0, changedMeanwhile: 0, unreadable: 0 };
  for (const { table: name, model, columns } of ENCRYPTED_COLUMNS) {
    const table = tableOf(db, name);
    const counts: RotationCounts = { rotated: 0, alreadyCurrent: 0, changedMeanwhile: 0, unreadable: 0 };
    let rows = 0;
    for await (const batch of batches(table, columns, options.batchSize)) {
      await hooks.afterRead();
      for (const row of batch) {
        if (await rotateRow(table, model, columns, row, keyring, counts)) hooks.afterWrite();
      }
      rows += batch.length;
      io.err(`${model}: ${rows} row(s) read, ${counts.rotated} value(s) re-encrypted`);
    }
    const notes = [
      `${counts.alreadyCurrent} already current`,
      ...(counts.changedMeanwhile ? [`${counts.changedMeanwhile} rewritten by a gateway meanwhile (kept)`] : []),
      ...(counts.unreadable ? [`${counts.unreadable} unreadable with the configured keys`] : []),
    ];
    io.out(`${model}: ${rows} row(s), ${counts.rotated} value(s) re-encrypted, ${notes.join(', ')}`);
    for (const key of Object.keys(total) as Array<keyof RotationCounts>) total[key] += counts[key];
  }
  return total;
}

/** How many stored values each key id holds, per model. */
export async function keyUsage(db: Database, batchSize = 500): Promise<Map<string, Map<string, number>>> {
  const usage = new Map<string, Map<string, number>>();
  for (const { table: name, model, columns } of ENCRYPTED_COLUMNS) {
    const perKey = new Map<string, number>();
    for await (const batch of batches(tableOf(db, name), columns, batchSize)) {
      for (const row of batch) {
        for (const column of columns) {
          const value = row[column];
          if (value) perKey.set(keyIdOfCiphertext(value), (perKey.get(keyIdOfCiphertext(value)) ?? 0) + 1);
        }
      }
    }
    usage.set(model, perKey);
  }
  return usage;
}

function keyringOf(config: Config): Keyring {
  if (config.encryptionKeyGenerated) {
    throw new UsageError('LATCHKEY_ENCRYPTION_KEY is not set: set it to the new key (32 bytes, base64) and the old one in LATCHKEY_PREVIOUS_ENCRYPTION_KEYS, then run "latchkey keys rotate" again.');
  }
  return createKeyring(config.encryptionKey, config.previousEncryptionKeys);
}

function parseBatchSize(args: string[]): number {
  let values: { 'batch-size'?: string };
  try {
    ({ values } = parseArgs({ args, options: { 'batch-size': { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true }));
  } catch (error) {
    throw new UsageError(`${error instanceof Error ? error.message : String(error)}\nUsage: ${keysUsage.rotate}`);
  }
  const size = Number(values['batch-size'] ?? '200');
  if (!Number.isInteger(size) || size < 1 || size > 10_000) throw new UsageError(`--batch-size must be a whole number from 1 to 10000, not "${values['batch-size']}".`);
  return size;
}

export async function keysRotateCommand(config: Config, args: string[], io: AdminIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const batchSize = parseBatchSize(args);
  const keyring = keyringOf(config);
  return withDatabase(config, io, async (db) => {
    io.err(`Re-encrypting every stored secret under key ${keyring.currentKeyId} (LATCHKEY_ENCRYPTION_KEY), ${batchSize} rows per batch.`);
    const counts = await rotateKeys(db, keyring, io, { batchSize, env });
    const remaining = [...(await keyUsage(db)).values()].reduce(
      (sum, perKey) => sum + [...perKey].filter(([keyId]) => keyId !== keyring.currentKeyId).reduce((n, [, count]) => n + count, 0),
      0,
    );
    io.out(`Done: ${counts.rotated} value(s) re-encrypted, ${counts.alreadyCurrent} already under key ${keyring.currentKeyId}.`);
    if (counts.unreadable) {
      io.out(
        `${counts.unreadable} value(s) cannot be decrypted with the configured keys and were left as they are: add the key they were written with to LATCHKEY_PREVIOUS_ENCRYPTION_KEYS and run "latchkey keys rotate" again (run "latchkey keys status" to see their key ids).`,
      );
      return 1;
    }
    if (remaining) {
      io.out(
        `${remaining} value(s) are still under another key (written by a gateway meanwhile, with an older LATCHKEY_ENCRYPTION_KEY): once every instance runs with the new key, run "latchkey keys rotate" again. Keep LATCHKEY_PREVIOUS_ENCRYPTION_KEYS until it reports none.`,
      );
      return 1;
    }
    io.out(
      `Every stored secret is under key ${keyring.currentKeyId}. Once every gateway instance runs with this LATCHKEY_ENCRYPTION_KEY, the previous key(s) can be removed from LATCHKEY_PREVIOUS_ENCRYPTION_KEYS.`,
    );
    return 0;
  });
}

export async function keysStatusCommand(config: Config, args: string[], io: AdminIo): Promise<number> {
  if (args.filter((arg) => arg !== '--help' && arg !== '-h').length) throw new UsageError(`keys status takes no arguments.\nUsage: ${keysUsage.status}`);
  const keyring = keyringOf(config);
  return withDatabase(config, io, async (db) => {
    io.out(`current key id: ${keyring.currentKeyId}`);
    let other = 0;
    for (const [model, perKey] of await keyUsage(db)) {
      const parts = [...perKey].map(([keyId, count]) => `${keyId}=${count}${keyId === keyring.currentKeyId ? ' (current)' : ''}`);
      other += [...perKey].filter(([keyId]) => keyId !== keyring.currentKeyId).reduce((n, [, count]) => n + count, 0);
      io.out(`${model}: ${parts.length ? parts.join(' ') : 'none'}`);
    }
    io.out(other ? `${other} value(s) under other keys: run "latchkey keys rotate".` : 'Every stored secret is under the current key.');
    return 0;
  });
}

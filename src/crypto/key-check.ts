// Proves at start that the configured keys can read what the database holds. The first start
// stores one value encrypted under the current key; a later start whose keys (current and
// previous) cannot decrypt it is refused, naming the variables to fix. A database from before the
// check is probed with one stored secret of each kind instead, then gets its check row.
import { randomBytes } from 'node:crypto';
import type { Database } from '../db/database.js';
import { ConfigError } from '../config.js';
import { decryptSecret, DecryptionError, encryptSecret, secretContext, type Keyring } from './token-cipher.js';

export const KEY_CHECK_ID = 'key-check';
const CONTEXT = secretContext('KeyCheck', 'value', KEY_CHECK_ID);

const KEYS_MESSAGE =
  'LATCHKEY_ENCRYPTION_KEY (with LATCHKEY_PREVIOUS_ENCRYPTION_KEYS) cannot decrypt the secrets this database holds: ' +
  'set LATCHKEY_ENCRYPTION_KEY to the key this database was created with, or add that key to LATCHKEY_PREVIOUS_ENCRYPTION_KEYS ' +
  '(comma-separated) and run `npx latchkey keys rotate`. Starting with another key would make every stored token unreadable.';

export class KeyMismatchError extends ConfigError {}

/** Samples of existing ciphertexts, for a database that has no check row yet. */
async function sampleSecrets(db: Database): Promise<Array<{ value: string; context: string }>> {
  const samples: Array<{ value: string; context: string }> = [];
  const connection = await db.connection.findFirst({ where: { accessToken: { not: null } }, select: { id: true, accessToken: true } });
  if (connection?.accessToken) samples.push({ value: connection.accessToken, context: secretContext('Connection', 'accessToken', connection.id) });
  const credential = await db.serviceCredential.findFirst({ where: { clientSecret: { not: null } }, select: { id: true, clientSecret: true } });
  if (credential?.clientSecret) samples.push({ value: credential.clientSecret, context: secretContext('ServiceCredential', 'clientSecret', credential.id) });
  const custom = await db.customService.findFirst({ where: { clientSecret: { not: null } }, select: { id: true, clientSecret: true } });
  if (custom?.clientSecret) samples.push({ value: custom.clientSecret, context: secretContext('CustomService', 'clientSecret', custom.id) });
  const pending = await db.pendingRevocation.findFirst({ where: { accessToken: { not: null } }, select: { id: true, accessToken: true } });
  if (pending?.accessToken) samples.push({ value: pending.accessToken, context: secretContext('PendingRevocation', 'accessToken', pending.id) });
  const endpoint = await db.webhookEndpoint.findFirst({ select: { id: true, secret: true } });
  if (endpoint) samples.push({ value: endpoint.secret, context: secretContext('WebhookEndpoint', 'secret', endpoint.id) });
  return samples;
}

/** Throws KeyMismatchError when the keys cannot read the database; writes the check row on first start. */
export async function verifyEncryptionKeys(db: Database, keyring: Keyring): Promise<void> {
  const row = await db.keyCheck.findUnique({ where: { id: KEY_CHECK_ID } });
  try {
    if (row) {
      decryptSecret(keyring, row.value, CONTEXT);
      return;
    }
    for (const sample of await sampleSecrets(db)) decryptSecret(keyring, sample.value, sample.context);
  } catch (error) {
    if (error instanceof DecryptionError) throw new KeyMismatchError(KEYS_MESSAGE);
    throw error;
  }
  const value = encryptSecret(keyring, randomBytes(16).toString('base64url'), CONTEXT);
  await db.keyCheck.createMany({ data: [{ id: KEY_CHECK_ID, value }] }).catch(() => undefined);
}

/** Null when the keys read the check row; otherwise what /readyz should say. */
export async function keyProblem(db: Database, keyring: Keyring): Promise<string | null> {
  const row = await db.keyCheck.findUnique({ where: { id: KEY_CHECK_ID } });
  if (!row) return null;
  try {
    decryptSecret(keyring, row.value, CONTEXT);
    return null;
  } catch {
    return KEYS_MESSAGE;
  }
}

/** Re-encrypts the check row under the current key (the last step of a key rotation). */
export async function renewKeyCheck(db: Database, keyring: Keyring): Promise<void> {
  const value = encryptSecret(keyring, randomBytes(16).toString('base64url'), CONTEXT);
  await db.keyCheck.upsert({ where: { id: KEY_CHECK_ID }, create: { id: KEY_CHECK_ID, value }, update: { value } });
}

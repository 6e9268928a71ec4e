// AES-256-GCM for every secret at rest. A ciphertext names the key that made it, so keys can be
// rotated (old keys stay readable through `previousKeys`), and it is bound to the row and column it
// belongs to through the associated data, so a ciphertext copied into another row fails to decrypt.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const FORMAT = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface Keyring {
  currentKeyId: string;
  keys: ReadonlyMap<string, Buffer>;
}

export class DecryptionError extends Error {
  readonly code = 'DECRYPTION_FAILED';
}

export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update('latchkey-key-id').update(key).digest('base64url').slice(0, 8);
}

export function createKeyring(currentKey: Buffer, previousKeys: readonly Buffer[] = []): Keyring {
  const keys = new Map<string, Buffer>();
  for (const key of [currentKey, ...previousKeys]) {
    if (key.length !== 32) throw new Error('encryption keys must be 32 bytes');
    keys.set(keyIdOf(key), key);
  }
  return { currentKeyId: keyIdOf(currentKey), keys };
}

/** The associated data that binds a ciphertext to one column of one row. */
export function secretContext(model: string, column: string, rowId: string): string {
  return `${model}.${column}:${rowId}`;
}

export function encryptSecret(keyring: Keyring, plaintext: string, context: string): string {
  const key = keyring.keys.get(keyring.currentKeyId)!;
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return [FORMAT, keyring.currentKeyId, iv.toString('base64url'), body.toString('base64url')].join('.');
}

export function decryptSecret(keyring: Keyring, ciphertext: string, context: string): string {
  const [format, keyId, ivText, bodyText] = ciphertext.split('.');
  if (format !== FORMAT || !keyId || !ivText || !bodyText) {
    throw new DecryptionError('A stored secret is not in a format this version can read.');
  }
  const key = keyring.keys.get(keyId);
  if (!key) {
    throw new DecryptionError(
      `A stored secret was encrypted with key ${keyId}, which is not configured: add it to LATCHKEY_PREVIOUS_ENCRYPTION_KEYS.`,
    );
  }
  const body = Buffer.from(bodyText, 'base64url');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(ivText, 'base64url'), {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    throw new DecryptionError('A stored secret failed its integrity check (wrong key, or moved to another row).');
  }
}

/** True when the ciphertext was not made with the current key (a candidate for re-encryption). */
export function needsReencryption(keyring: Keyring, ciphertext: string): boolean {
  return ciphertext.split('.')[1] !== keyring.currentKeyId;
}

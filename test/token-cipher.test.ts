import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createKeyring, decryptSecret, encryptSecret, needsReencryption, secretContext } from '../src/crypto/token-cipher.js';
import { displayPrefix, generateOpaqueToken, hashOpaqueToken, SITE_TOKEN_PREFIX } from '../src/crypto/opaque-token.js';

const context = secretContext('Connection', 'accessToken', 'conn_1');

describe('token cipher (AES-256-GCM)', () => {
  const keyring = createKeyring(randomBytes(32));

  it('round-trips and names the key that made the ciphertext', () => {
    const sealed = encryptSecret(keyring, 'gho_secret-token', context);
    expect(sealed.split('.')).toHaveLength(4);
    expect(sealed.split('.')[1]).toBe(keyring.currentKeyId);
    expect(sealed).not.toContain('gho_secret-token');
    expect(decryptSecret(keyring, sealed, context)).toBe('gho_secret-token');
  });

  it('uses a fresh IV for every write', () => {
    const first = encryptSecret(keyring, 'same', context);
    const second = encryptSecret(keyring, 'same', context);
    expect(first.split('.')[2]).not.toBe(second.split('.')[2]);
    expect(first).not.toBe(second);
  });

  it('binds a ciphertext to its row and column', () => {
    const sealed = encryptSecret(keyring, 'token', context);
    expect(() => decryptSecret(keyring, sealed, secretContext('Connection', 'accessToken', 'conn_2'))).toThrow(/integrity/);
    expect(() => decryptSecret(keyring, sealed, secretContext('Connection', 'refreshToken', 'conn_1'))).toThrow(/integrity/);
  });

  it('detects tampering', () => {
    const [format, keyId, iv, body] = encryptSecret(keyring, 'token', context).split('.');
    const flipped = Buffer.from(body!, 'base64url');
    flipped[0]! ^= 1;
    expect(() => decryptSecret(keyring, [format, keyId, iv, flipped.toString('base64url')].join('.'), context)).toThrow();
  });

  it('reads ciphertexts of a previous key after rotation, and says which key is missing otherwise', () => {
    const oldKey = randomBytes(32);
    const sealed = encryptSecret(createKeyring(oldKey), 'token', context);
    const rotated = createKeyring(randomBytes(32), [oldKey]);
    expect(decryptSecret(rotated, sealed, context)).toBe('token');
    expect(needsReencryption(rotated, sealed)).toBe(true);
    expect(() => decryptSecret(createKeyring(randomBytes(32)), sealed, context)).toThrow(/LATCHKEY_PREVIOUS_ENCRYPTION_KEYS/);
  });
});

describe('opaque tokens', () => {
  it('are lks_ plus 256 random bits, stored only as a hash', () => {
    const token = generateOpaqueToken(SITE_TOKEN_PREFIX);
    expect(token).toMatch(/^lks_[A-Za-z0-9_-]{43}$/);
    expect(hashOpaqueToken(token)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashOpaqueToken(token)).not.toContain(token.slice(4));
    expect(displayPrefix(token)).toBe(token.slice(0, 10));
    expect(generateOpaqueToken(SITE_TOKEN_PREFIX)).not.toBe(token);
  });
});

// Bearer tokens the gateway issues (site tokens, function tokens) and the one-time values of an
// authorization attempt. Only a SHA-256 hash is ever stored; 256 bits of randomness make a
// slow password hash unnecessary.
import { createHash, randomBytes } from 'node:crypto';

export const SITE_TOKEN_PREFIX = 'lks_';

export function generateOpaqueToken(prefix: string, bytes = 32): string {
  return `${prefix}${randomBytes(bytes).toString('base64url')}`;
}

export function hashOpaqueToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** What may be shown of a token so people can tell tokens apart: the prefix and a few characters. */
export function displayPrefix(token: string): string {
  return token.slice(0, token.indexOf('_') + 1 + 6);
}

export function generateId(prefix: string): string {
  return `${prefix}_${randomBytes(16).toString('base64url')}`;
}

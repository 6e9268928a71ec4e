// Key pairs for private_key_jwt client authentication (RFC 7523 §2.2, OpenID Connect Core §9): the
// gateway signs its token-endpoint assertions with a private key it keeps encrypted, and serves the
// public half as a JWKS the site registers with its authorization server. The `kid` is the key's
// RFC 7638 thumbprint, so a new key always gets a new kid and the old one can stay published beside it.
import { createHash, createPrivateKey, generateKeyPairSync, type JsonWebKey as NodeJwk } from 'node:crypto';
import { badUserInput } from '../errors.js';

export type ClientKeyAlgorithm = 'ES256' | 'RS256';

/** A private JWK as stored (encrypted): the key material, its kid and the algorithm it signs with. */
export interface ClientPrivateJwk {
  kty: 'EC' | 'RSA';
  kid: string;
  alg: ClientKeyAlgorithm;
  [member: string]: unknown;
}

/** The public JWK served in the JWKS. */
export interface ClientPublicJwk {
  kty: 'EC' | 'RSA';
  kid: string;
  alg: ClientKeyAlgorithm;
  use: 'sig';
  [member: string]: unknown;
}

const PUBLIC_MEMBERS = { EC: ['crv', 'x', 'y'], RSA: ['e', 'n'] } as const;
const MAX_KEY_INPUT = 16_000;

/** RFC 7638: SHA-256 over the required public members in lexicographic order, base64url. */
export function thumbprintOf(jwk: { kty: 'EC' | 'RSA'; [member: string]: unknown }): string {
  const members = ['kty', ...PUBLIC_MEMBERS[jwk.kty]].sort();
  const canonical = JSON.stringify(Object.fromEntries(members.map((name) => [name, jwk[name]])));
  return createHash('sha256').update(canonical).digest('base64url');
}

function withIdentity(jwk: NodeJwk, alg: ClientKeyAlgorithm): ClientPrivateJwk {
  const kty = jwk.kty === 'RSA' ? 'RSA' : 'EC';
  const key = { ...jwk, kty } as ClientPrivateJwk;
  return { ...key, kid: thumbprintOf(key), alg };
}

/** A new P-256 key pair (ES256: small, fast, and in every server's list of assertion algorithms). */
export function generateClientKey(): ClientPrivateJwk {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return withIdentity(privateKey.export({ format: 'jwk' }), 'ES256');
}

/**
 * A site's own private key, given as a private JWK (JSON): EC P-256 (ES256) or RSA of at least
 * 2048 bits (RS256). Anything else is BAD_USER_INPUT saying what is accepted.
 */
export function parseClientKey(input: string): ClientPrivateJwk {
  const refuse = (why: string) =>
    badUserInput(`clientPrivateKey ${why}: give a private JWK (JSON) of an EC P-256 key (ES256) or an RSA key of at least 2048 bits (RS256), or omit it and the gateway generates one.`, 'clientPrivateKey');
  if (input.length > MAX_KEY_INPUT) throw refuse('is too long');
  let parsed: unknown;
  try {
    parsed = JSON.parse(input);
  } catch {
    throw refuse('is not JSON');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw refuse('is not a JWK object');
  let key;
  try {
    key = createPrivateKey({ key: parsed as NodeJwk, format: 'jwk' });
  } catch {
    throw refuse('is not a private key');
  }
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'ec' && details.namedCurve === 'prime256v1') return withIdentity(key.export({ format: 'jwk' }), 'ES256');
  if (key.asymmetricKeyType === 'rsa' && (details.modulusLength ?? 0) >= 2048) return withIdentity(key.export({ format: 'jwk' }), 'RS256');
  throw refuse(`is a ${key.asymmetricKeyType ?? 'unknown'} key the gateway does not sign with`);
}

export function publicJwkOf(jwk: ClientPrivateJwk): ClientPublicJwk {
  const members = PUBLIC_MEMBERS[jwk.kty];
  return {
    kty: jwk.kty,
    ...Object.fromEntries(members.map((name) => [name, jwk[name]])),
    kid: jwk.kid,
    alg: jwk.alg,
    use: 'sig',
  };
}

/** The WebCrypto signing key openid-client's PrivateKeyJwt takes. */
export async function signingKeyOf(jwk: ClientPrivateJwk): Promise<{ key: CryptoKey; kid: string }> {
  const { kid: _kid, alg: _alg, ...material } = jwk;
  const algorithm = jwk.alg === 'ES256' ? { name: 'ECDSA', namedCurve: 'P-256' } : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  const key = await crypto.subtle.importKey('jwk', material as JsonWebKey, algorithm, false, ['sign']);
  return { key, kid: jwk.kid };
}

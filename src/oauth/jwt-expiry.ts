// An access token's own end, for providers that send a JWT instead of expires_in (monday.com).
// The token is decoded without verifying its signature: only its `exp` is read, and only to know
// when to refresh; nothing here trusts it otherwise, and neither the token nor its claims are
// logged or kept.

/** Longer than any JWT access token seen; a bigger token is not decoded. */
const MAX_TOKEN_LENGTH = 16_384;

/** The `exp` claim of a JWT as a date; undefined when the token is not a JWT or has no numeric exp. */
export function jwtExpiry(token: string): Date | undefined {
  if (token.length > MAX_TOKEN_LENGTH) return undefined;
  const parts = token.split('.');
  if (parts.length !== 3 || !/^[A-Za-z0-9_-]+$/.test(parts[1]!)) return undefined;
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  const exp = claims && typeof claims === 'object' ? (claims as { exp?: unknown }).exp : undefined;
  if (typeof exp !== 'number' || !Number.isFinite(exp) || exp <= 0) return undefined;
  const date = new Date(exp * 1000);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

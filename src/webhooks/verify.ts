// Verifying a Latchkey webhook. The scheme is Standard Webhooks (https://www.standardwebhooks.com),
// the one Svix and others use, so their libraries verify Latchkey webhooks too:
//   webhook-id:        the message id (the same on every retry and redelivery: deduplicate on it)
//   webhook-timestamp: seconds since the epoch when this attempt was signed
//   webhook-signature: "v1," + base64(HMAC-SHA256(key, `${id}.${timestamp}.${body}`)), where key is
//                      the base64 part of the endpoint's "whsec_…" secret, decoded
// This file depends on node:crypto only: copy it into your function as it is.
import { createHmac, timingSafeEqual } from 'node:crypto';

const SECRET_PREFIX = 'whsec_';

export class WebhookVerificationError extends Error {
  readonly code = 'WEBHOOK_INVALID';
}

export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

function keyOf(secret: string): Buffer {
  const key = Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64');
  if (key.length === 0) throw new WebhookVerificationError('The webhook secret is empty.');
  return key;
}

/** The webhook-signature value for one message: "v1,<base64 HMAC-SHA256>". */
export function signWebhook(secret: string, id: string, timestamp: number, body: string): string {
  return `v1,${createHmac('sha256', keyOf(secret)).update(`${id}.${timestamp}.${body}`, 'utf8').digest('base64')}`;
}

function headerOf(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const record = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(record).find((candidate) => candidate.toLowerCase() === name);
  const value = key === undefined ? undefined : record[key];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Checks a webhook's signature and timestamp and returns its parsed body. Throws
 * WebhookVerificationError when a header is missing, the timestamp is more than `toleranceSeconds`
 * away from now (an old message replayed), or no signature matches. Pass the raw body, exactly as
 * received: re-serialized JSON does not verify.
 */
export function verifyWebhook(secret: string, headers: WebhookHeaders, body: string | Buffer, toleranceSeconds = 300): unknown {
  const id = headerOf(headers, 'webhook-id');
  const timestampHeader = headerOf(headers, 'webhook-timestamp');
  const signatures = headerOf(headers, 'webhook-signature');
  if (!id || !timestampHeader || !signatures) {
    throw new WebhookVerificationError('Missing webhook-id, webhook-timestamp or webhook-signature header.');
  }
  if (!/^\d{1,12}$/.test(timestampHeader)) throw new WebhookVerificationError('webhook-timestamp is not a number of seconds.');
  const timestamp = Number(timestampHeader);
  const age = Math.floor(Date.now() / 1000) - timestamp;
  if (age > toleranceSeconds) throw new WebhookVerificationError('The webhook timestamp is too old (a replayed message?).');
  if (age < -toleranceSeconds) throw new WebhookVerificationError('The webhook timestamp is in the future.');

  const text = typeof body === 'string' ? body : body.toString('utf8');
  const expected = Buffer.from(signWebhook(secret, id, timestamp, text).slice('v1,'.length), 'utf8');
  const matches = signatures.split(' ').some((entry) => {
    const [version, signature] = entry.split(',', 2);
    if (version !== 'v1' || !signature) return false;
    const given = Buffer.from(signature, 'utf8');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!matches) throw new WebhookVerificationError('No webhook signature matches: check the secret, and verify the raw body.');
  return text === '' ? undefined : JSON.parse(text);
}

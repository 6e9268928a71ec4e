// Where the gateway may send requests to URLs that a site chose (webhook endpoints, the endpoints of
// a custom OAuth service). Without these checks a site could make the gateway call addresses only
// the gateway can reach (cloud metadata, databases, admin ports). A URL is checked when it is
// registered and again before each use, and the address a connection actually uses is checked at
// connect time, so a DNS answer that changes between check and use (rebinding) cannot slip through.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { Agent, fetch as undiciFetch } from 'undici';
import { LatchkeyError } from '../errors.js';

export interface OutboundUrlPolicy {
  /** Plain http:// for any host (otherwise only for loopback hosts). */
  allowHttp: boolean;
  allowLoopback: boolean;
  allowPrivateNetworks: boolean;
}

/** How a refusal names the URL: "The webhook url", the GraphQL field, and what the gateway does with it. */
export interface UrlRole {
  label: string;
  field: string;
  /** Completes "which this gateway does not …": "send webhooks to". */
  purpose: string;
  /** What the operator sets to allow loopback hosts, and private addresses, named in the refusal. */
  allowLoopbackSetting?: string;
  allowPrivateSetting?: string;
}

function refusalHint(setting: string | undefined): string {
  return setting ? ` (the gateway's operator can allow it with ${setting}=true)` : '';
}

const MAX_URL_LENGTH = 2048;
const NEVER = new Set(['unspecified', 'multicast', 'broadcast']);

export class BlockedAddressError extends Error {
  readonly code = 'OUTBOUND_ADDRESS_BLOCKED';
  constructor(
    message: string,
    /** Every refused address was a loopback one (so the loopback setting is what allows it). */
    readonly loopback: boolean,
  ) {
    super(message);
  }
}

/**
 * A URL the policy refuses (BAD_USER_INPUT). `reason` completes the sentence after the URL's
 * label, so a caller that knows better which field the URL came from can name it instead.
 */
export class OutboundUrlRefusal extends LatchkeyError {
  constructor(
    role: UrlRole,
    readonly reason: string,
  ) {
    super('BAD_USER_INPUT', `${role.label} ${reason}`, { field: role.field });
  }
}

/** The refusal behind an error (a guarded fetch's, possibly wrapped by a library), or undefined. */
export function outboundRefusalIn(error: unknown): OutboundUrlRefusal | undefined {
  for (let cause = error, depth = 0; cause instanceof Error && depth < 6; cause = cause.cause, depth += 1) {
    if (cause instanceof OutboundUrlRefusal) return cause;
  }
  return undefined;
}

/** Whether an IP address may be called: public unicast, and others only as configured. */
export function isAllowedAddress(address: string, policy: OutboundUrlPolicy): boolean {
  if (!ipaddr.isValid(address)) return false;
  const parsed = ipaddr.process(address);
  // IPv4-compatible IPv6 (::a.b.c.d, deprecated by RFC 4291) is not recognized as a range: never allowed.
  if (parsed.kind() === 'ipv6') {
    const parts = (parsed as ipaddr.IPv6).parts;
    if (parts.slice(0, 6).every((part) => part === 0) && (parts[6] !== 0 || parts[7]! > 1)) return false;
  }
  const range = parsed.range();
  if (range === 'unicast') return true;
  if (range === 'loopback') return policy.allowLoopback;
  if (NEVER.has(range)) return false;
  return policy.allowPrivateNetworks;
}

function isLoopbackName(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  return host === 'localhost' || host.endsWith('.localhost');
}

function literalAddress(hostname: string): string | null {
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  return ipaddr.isValid(bare) && (bare.includes(':') || ipaddr.IPv4.isValidFourPartDecimal(bare)) ? bare : null;
}

/**
 * The URL the gateway may call, or BAD_USER_INPUT saying why not: https (http only for loopback
 * hosts unless allowed), no credentials or fragment, no non-public address literal.
 */
export function checkOutboundUrl(value: string, policy: OutboundUrlPolicy, role: UrlRole): URL {
  const fail = (reason: string) => new OutboundUrlRefusal(role, reason);
  if (value.length > MAX_URL_LENGTH) throw fail(`must be at most ${MAX_URL_LENGTH} characters.`);
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw fail('is not an absolute URL.');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw fail('must be an https:// URL.');
  if (url.username || url.password) throw fail('must not contain credentials (user:password@).');
  if (url.hash) throw fail('must not contain a fragment (#…).');

  const literal = literalAddress(url.hostname);
  const loopback = literal ? ipaddr.process(literal).range() === 'loopback' : isLoopbackName(url.hostname);
  if (literal && !isAllowedAddress(literal, policy)) {
    const setting = loopback ? role.allowLoopbackSetting : role.allowPrivateSetting;
    throw fail(`points to a private, link-local or otherwise non-public address, which this gateway does not ${role.purpose}${refusalHint(setting)}.`);
  }
  if (!literal && loopback && !policy.allowLoopback) {
    throw fail(`points to a loopback host, which this gateway does not ${role.purpose}${refusalHint(role.allowLoopbackSetting)}.`);
  }
  if (url.protocol === 'http:' && !loopback && !policy.allowHttp) {
    throw fail('must be an https:// URL (plain http:// is accepted only for loopback hosts: localhost, 127.0.0.0/8, [::1]).');
  }
  return url;
}

/** A DNS lookup for outgoing connections that refuses to connect to an address the policy forbids. */
export function guardedLookup(policy: OutboundUrlPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const list = addresses as unknown as LookupAddress[];
      const refused = list.filter((entry) => !isAllowedAddress(entry.address, policy));
      if (list.length === 0 || refused.length > 0) {
        const loopback = refused.length > 0 && refused.every((entry) => ipaddr.isValid(entry.address) && ipaddr.process(entry.address).range() === 'loopback');
        return callback(new BlockedAddressError('the host resolves to a private, link-local or otherwise non-public address', loopback), '', 0);
      }
      if (options.all) return (callback as unknown as (error: null, addresses: LookupAddress[]) => void)(null, list);
      return callback(null, list[0]!.address, list[0]!.family);
    });
  };
}

const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);
/** OAuth answers and discovery documents are small; a server that sends more is refused, not buffered. */
const MAX_RESPONSE_BYTES = 1024 * 1024;

export class ResponseTooLargeError extends Error {
  readonly code = 'OUTBOUND_RESPONSE_TOO_LARGE';
}

async function readCapped(body: AsyncIterable<Uint8Array> | null): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body ?? []) {
    size += chunk.byteLength;
    if (size > MAX_RESPONSE_BYTES) throw new ResponseTooLargeError(`the answer is larger than ${MAX_RESPONSE_BYTES / 1024} KiB`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * A fetch for URLs a site chose: every URL is checked against the policy, connections go only to
 * addresses it allows, and redirects are handed back (never followed). The answer is a standard
 * Response, so libraries that check `instanceof Response` (openid-client) accept it.
 */
export function createGuardedFetch(policy: OutboundUrlPolicy, role: UrlRole, timeoutMs: number): typeof fetch {
  const agent = new Agent({ connect: { lookup: guardedLookup(policy), timeout: timeoutMs } });
  return async (input, init) => {
    const href = input instanceof URL ? input.href : typeof input === 'string' ? input : input.url;
    checkOutboundUrl(href, policy, role);
    let response;
    try {
      response = await undiciFetch(href, {
        ...(init as Record<string, unknown>),
        redirect: 'manual',
        dispatcher: agent,
        // A deadline of its own, whatever the caller passed: a server that trickles its answer is cut off.
        signal: init?.signal ? AbortSignal.any([init.signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs),
      } as Parameters<typeof undiciFetch>[1]);
    } catch (error) {
      for (let cause: unknown = error, depth = 0; cause instanceof Error && depth < 4; cause = cause.cause, depth += 1) {
        if (cause instanceof BlockedAddressError) {
          const what = cause.loopback ? 'a loopback address' : 'a private, link-local or otherwise non-public address';
          const setting = cause.loopback ? role.allowLoopbackSetting : role.allowPrivateSetting;
          throw new OutboundUrlRefusal(role, `${new URL(href).host} resolves to ${what}, which this gateway does not ${role.purpose}${refusalHint(setting)}.`);
        }
      }
      throw error;
    }
    const body = NULL_BODY_STATUSES.has(response.status) ? null : await readCapped(response.body);
    return new Response(body as BodyInit | null, { status: response.status, statusText: response.statusText, headers: response.headers as unknown as Headers });
  };
}

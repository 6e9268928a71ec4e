// Where webhooks may be sent. A site chooses its webhook URLs, so without these checks it could make
// the gateway post to addresses only the gateway can reach (cloud metadata, databases, admin
// ports). The URL is checked when it is registered and again before each attempt, and the address
// the connection actually uses is checked at connect time, so a DNS answer that changes between
// check and use (rebinding) cannot slip through.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { badUserInput } from '../errors.js';

export interface WebhookUrlPolicy {
  allowHttp: boolean;
  allowLoopback: boolean;
  allowPrivateNetworks: boolean;
}

const MAX_URL_LENGTH = 2048;
const NEVER = new Set(['unspecified', 'multicast', 'broadcast']);

export class BlockedAddressError extends Error {
  readonly code = 'WEBHOOK_ADDRESS_BLOCKED';
}

/** Whether an IP address may receive webhooks: public unicast, and others only as configured. */
export function isAllowedAddress(address: string, policy: WebhookUrlPolicy): boolean {
  if (!ipaddr.isValid(address)) return false;
  const range = ipaddr.process(address).range();
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
 * The URL a webhook may be sent to, or BAD_USER_INPUT saying why not: https (http only for
 * loopback hosts unless allowed), no credentials or fragment, no non-public address literal.
 */
export function checkWebhookUrl(value: string, policy: WebhookUrlPolicy): URL {
  const fail = (reason: string) => badUserInput(`The webhook url ${reason}`, 'url');
  if (value.length > MAX_URL_LENGTH) throw fail(`must be at most ${MAX_URL_LENGTH} characters.`);
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw fail('is not an absolute URL.');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw fail('must be an https:// URL.');
  if (url.username || url.password) throw fail('must not contain credentials (user:password@); authenticate webhooks by their signature.');
  if (url.hash) throw fail('must not contain a fragment (#…).');

  const literal = literalAddress(url.hostname);
  const loopback = literal ? ipaddr.process(literal).range() === 'loopback' : isLoopbackName(url.hostname);
  if (literal && !isAllowedAddress(literal, policy)) {
    throw fail('points to a private, link-local or otherwise non-public address, which this gateway does not send webhooks to.');
  }
  if (!literal && loopback && !policy.allowLoopback) throw fail('points to a loopback host, which this gateway does not send webhooks to.');
  if (url.protocol === 'http:' && !loopback && !policy.allowHttp) {
    throw fail('must be an https:// URL (plain http:// is accepted only for loopback hosts: localhost, 127.0.0.0/8, [::1]).');
  }
  return url;
}

/** A DNS lookup for outgoing connections that refuses to connect to an address the policy forbids. */
export function guardedLookup(policy: WebhookUrlPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const list = addresses as unknown as LookupAddress[];
      if (list.length === 0 || list.some((entry) => !isAllowedAddress(entry.address, policy))) {
        return callback(new BlockedAddressError('the host resolves to a private, link-local or otherwise non-public address'), '', 0);
      }
      if (options.all) return (callback as unknown as (error: null, addresses: LookupAddress[]) => void)(null, list);
      return callback(null, list[0]!.address, list[0]!.family);
    });
  };
}

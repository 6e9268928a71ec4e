// Checks what a caller asks the proxy to send, before any credential is involved. The path is
// resolved below the API base and can never name another host; the caller's headers can add to a
// request but never set its credential, cookies, host or connection handling.
import { badUserInput } from '../errors.js';
import type { UpstreamMethod } from '../passthrough/upstream-pool.js';

export const MAX_PATH_LENGTH = 2048;
export const MAX_HEADERS = 50;
export const MAX_HEADER_VALUE_LENGTH = 4096;
export const MAX_REQUEST_BODY_BYTES = 1024 * 1024;

/**
 * Never forwarded from the caller: the credential and cookies are the gateway's to set, the host is
 * the API's, and hop-by-hop headers (RFC 9110 §7.6.1) describe the caller's connection, not ours.
 * Content-Length is computed; Accept-Encoding is left to undici so the body arrives as text.
 */
const REFUSED_REQUEST_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'host',
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'content-length',
  'accept-encoding',
  'expect',
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-real-ip',
]);

/** Never returned to the caller: hop-by-hop headers, cookies, and framing undici already undid. */
const DROPPED_RESPONSE_HEADERS = new Set([
  'set-cookie',
  'set-cookie2',
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'content-length',
]);

const TOKEN_CHARS = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// RFC 3986 pchar plus "/" and a percent sign that starts an escape (checked separately).
const PATH_CHARS = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*$/;

/**
 * `path` (relative to the API base, with or without the leading "/", optionally with a query) as
 * the normalised path below the base. Refused: absolute URLs, "//host", "@host", backslashes,
 * encoded slashes, dots and backslashes, control characters, fragments, and dot segments that
 * would climb above the base.
 */
export function proxyPath(path: string): { path: string; search: URLSearchParams } {
  const refuse = (why: string) => badUserInput(`path ${why}: give a path relative to the service's API base URL, e.g. "/user/repos".`, 'path');
  if (path.length === 0) throw refuse('is empty');
  if (path.length > MAX_PATH_LENGTH) throw refuse(`is longer than ${MAX_PATH_LENGTH} characters`);
  if (/[\u0000-\u0020\u007f]/.test(path)) throw refuse('contains spaces or control characters (encode them)');
  if (path.includes('\\')) throw refuse('contains a backslash');
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(path)) throw refuse('is an absolute URL; the host is always the service\'s');
  if (path.startsWith('//')) throw refuse('starts with "//", which would name another host');
  if (path.startsWith('@') || path.startsWith('/@')) throw refuse('starts with "@", which would name another host');
  if (path.includes('#')) throw refuse('contains a fragment ("#")');
  const queryAt = path.indexOf('?');
  const rawPath = queryAt === -1 ? path : path.slice(0, queryAt);
  const rawQuery = queryAt === -1 ? '' : path.slice(queryAt + 1);
  if (!PATH_CHARS.test(rawPath)) throw refuse('contains characters that must be percent-encoded');
  if (/%(?![0-9A-Fa-f]{2})/.test(path)) throw refuse('contains a "%" that does not start a %XX escape');
  if (/%(2f|2e|5c|00)/i.test(rawPath)) throw refuse('contains an encoded slash, dot, backslash or NUL (%2F, %2E, %5C, %00)');
  if (rawPath.includes('//')) throw refuse('contains an empty segment ("//")');

  const segments: string[] = [];
  const parts = rawPath.replace(/^\//, '').split('/');
  parts.forEach((segment, index) => {
    if (segment === '.') return;
    if (segment === '..') {
      if (segments.length === 0) throw refuse('climbs above the API base URL with ".."');
      segments.pop();
      return;
    }
    if (segment === '' && index !== parts.length - 1) return;
    segments.push(segment);
  });
  return { path: `/${segments.join('/')}`, search: new URLSearchParams(rawQuery) };
}

type QueryScalar = string | number | boolean;

/** The `query` argument (an object of scalars or lists of scalars) added to the path's own query. */
export function proxyQuery(search: URLSearchParams, query: unknown): string {
  if (query !== null && query !== undefined) {
    if (typeof query !== 'object' || Array.isArray(query)) throw badUserInput('query must be an object of parameter names to values, e.g. { "per_page": 10 }.', 'query');
    const scalar = (value: unknown): value is QueryScalar => typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
    for (const [name, value] of Object.entries(query as Record<string, unknown>)) {
      if (value === null || value === undefined) continue;
      const values = Array.isArray(value) ? value : [value];
      for (const item of values) {
        if (!scalar(item)) throw badUserInput(`query.${name} must be a string, number or boolean, or a list of them.`, 'query');
        search.append(name, String(item));
      }
    }
  }
  const text = search.toString();
  if (text.length > MAX_PATH_LENGTH) throw badUserInput(`query is longer than ${MAX_PATH_LENGTH} characters.`, 'query');
  return text ? `?${text}` : '';
}

/** The caller's headers that may be forwarded, with lower-case names; refused ones are dropped. */
export function proxyRequestHeaders(headers: unknown): Record<string, string> {
  if (headers === null || headers === undefined) return {};
  if (typeof headers !== 'object' || Array.isArray(headers)) throw badUserInput('headers must be an object of header names to string values.', 'headers');
  const entries = Object.entries(headers as Record<string, unknown>);
  if (entries.length > MAX_HEADERS) throw badUserInput(`headers may name at most ${MAX_HEADERS} headers.`, 'headers');
  const forwarded: Record<string, string> = {};
  for (const [rawName, value] of entries) {
    const name = rawName.toLowerCase();
    if (!TOKEN_CHARS.test(name)) throw badUserInput(`headers: ${JSON.stringify(rawName.slice(0, 60))} is not a valid header name.`, 'headers');
    if (typeof value !== 'string' && typeof value !== 'number') throw badUserInput(`headers.${name} must be a string.`, 'headers');
    const text = String(value);
    if (text.length > MAX_HEADER_VALUE_LENGTH || /[\u0000-\u0008\u000a-\u001f\u007f]/.test(text)) {
      throw badUserInput(`headers.${name} is too long or contains control characters.`, 'headers');
    }
    if (REFUSED_REQUEST_HEADERS.has(name) || name.startsWith('proxy-') || name.startsWith('sec-')) continue;
    forwarded[name] = text;
  }
  return forwarded;
}

/** The provider's headers the caller gets back. */
export function proxyResponseHeaders(headers: Record<string, string>): Record<string, string> {
  // Headers the provider's Connection header names are hop-by-hop too.
  const named = new Set((headers['connection'] ?? '').split(',').map((name) => name.trim().toLowerCase()));
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !DROPPED_RESPONSE_HEADERS.has(name) && !named.has(name)));
}

/** The request body: `body` as JSON or `bodyText` as given, never both, never on a GET. */
export function proxyBody(method: UpstreamMethod, body: unknown, bodyText: string | null | undefined, headers: Record<string, string>): string | undefined {
  const hasBody = body !== undefined && body !== null;
  const hasText = bodyText !== undefined && bodyText !== null;
  if (hasBody && hasText) throw badUserInput('Give body (JSON) or bodyText, not both.', 'body');
  if ((hasBody || hasText) && method === 'GET') throw badUserInput('A GET has no body: put parameters in query.', 'body');
  let text: string | undefined;
  if (hasBody) {
    text = JSON.stringify(body);
    headers['content-type'] ??= 'application/json';
  } else if (hasText) {
    text = bodyText;
    headers['content-type'] ??= 'text/plain; charset=utf-8';
  } else if (method === 'PUT' || method === 'POST' || method === 'PATCH') {
    // Some APIs (GitHub) want Content-Length: 0 on a write without a body.
    text = '';
  }
  if (text !== undefined && Buffer.byteLength(text) > MAX_REQUEST_BODY_BYTES) {
    throw badUserInput(`The body is larger than ${MAX_REQUEST_BODY_BYTES} bytes.`, 'body');
  }
  return text;
}

/** A response body as JSON when it is JSON (by content type, or when it parses), else as text. */
export function proxyPayload(contentType: string | undefined, text: string): { json: unknown; text: string | null } {
  if (text.length === 0) return { json: null, text: null };
  const looksJson = contentType === undefined || /[/+]json\b/i.test(contentType) || /^\s*[[{]/.test(text);
  if (looksJson) {
    try {
      return { json: JSON.parse(text), text: null };
    } catch {
      // Not JSON after all.
    }
  }
  return { json: null, text };
}

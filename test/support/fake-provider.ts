// One configurable stand-in for any catalog provider: an authorization server (authorize, token,
// revocation) and a small API (an identity document, a credential check and any other path), whose
// behaviour is the set of facts a provider file declares. One server hosts many providers, each
// under its own path prefix (/p/<key>/…), so a test can drive the whole catalog in parallel against
// a single port. What each provider's token endpoint saw is kept in a FakeTokenLedger.
//
// Facts honoured (see FakeProviderSpec): client authentication (Basic, form body or none), PKCE
// S256 (verified; required when the provider declares PKCE), single-use codes with a lifetime, iss
// on the redirect (RFC 9207), form-encoded answers unless JSON is accepted, errors with HTTP 200,
// comma-separated or absent granted scopes, missing token_type, expires_in or an assumed lifetime,
// refresh tokens that rotate, stay or are left out of refresh answers, the provider's own code for
// a dead refresh token, extra token-response fields, and revocation in RFC 7009, GitHub and Stripe
// styles or by a plain POST/DELETE with the token.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ProviderDefinition, RevocationStyle } from '../../src/providers/types.js';
import { FakeTokenLedger, type FakeTokenRequestRecord } from './fake-token-ledger.js';

/** Revocation as the provider files name it (see RevocationStyle in src/providers/types.ts). */
export type FakeRevocationStyle = RevocationStyle;

export interface FakeProviderSpec {
  clientId: string;
  clientSecret?: string | undefined;
  clientAuthMethod: 'client_secret_basic' | 'client_secret_post' | 'none';
  /** Codes carry a PKCE challenge; a challenge is always verified, and required when true. */
  pkce: boolean;
  /** Sent as `iss` on the redirect (RFC 9207) when set. */
  issuer?: string | undefined;
  scopeSeparator?: ' ' | ',';
  /** Lifetime of an authorization code (default 600 s; Webflow documents 15 minutes). */
  codeLifetimeSeconds?: number;
  /** `expires_in` of access tokens; undefined: the answer has none and tokens never expire. */
  expiresInSeconds?: number | undefined;
  /** Access tokens are JWTs whose `exp` is this far ahead, and the answer has no expires_in (monday.com). */
  jwtAccessTokenSeconds?: number | undefined;
  /** Whether the provider issues refresh tokens at all. */
  issuesRefreshToken: boolean;
  /** Each refresh answer carries a new refresh token and the old one stops working. */
  refreshTokenRotates?: boolean;
  /** Refresh answers leave out refresh_token; the old one keeps working. */
  refreshTokenOmitted?: boolean;
  formEncodedUnlessJsonAccepted?: boolean;
  errorsWithStatus200?: boolean;
  /** How the token answer spells granted scopes: joined by this separator, a JSON array (Twitch), or absent. */
  grantedScopes?: ' ' | ',' | 'array' | 'absent';
  tokenTypeMissing?: boolean;
  /** Token and RFC 7009 revocation requests must carry JSON bodies; a form is refused (Notion, Square). */
  jsonTokenRequests?: boolean;
  /** RFC 7009 revocation alone takes a JSON body; a form is refused there (QuickBooks). */
  jsonRevocationRequests?: boolean;
  /** RFC 7009 revocation takes access tokens only: a refresh token gets 400 {status, message} (Twitch). */
  revokesAccessTokensOnly?: boolean;
  /** RFC 7009 revocation reads its fields under these names and refuses any other field (Miro's accessToken, clientId, clientSecret). */
  revocationBodyFields?: Partial<Record<'token' | 'token_type_hint' | 'client_id' | 'client_secret', string>>;
  /** Basic-authenticated token and revocation requests must name client_id in the body too (X's own client sends both). */
  clientIdWithBasic?: boolean;
  /** Parameters the code exchange must carry with these values (Shopify's expiring=1). */
  requiredTokenParams?: Record<string, string>;
  /** Headers the token, refresh and revocation endpoints refuse a request without (Notion-Version). */
  requiredEndpointHeaders?: Record<string, string>;
  /** Refresh tokens are spent at /refresh only; the token endpoint refuses them (Figma). */
  separateRefreshEndpoint?: boolean;
  /** The `error` answered for a dead refresh token (default invalid_grant). */
  deadRefreshError?: string;
  /** Extra non-secret fields of every token answer (e.g. stripe_user_id). */
  tokenFields?: Record<string, unknown>;
  revocation?: FakeRevocationStyle | undefined;
  /** Path under the API prefix that answers the identity document (e.g. /v1/me). */
  identityPath?: string | undefined;
  /** The identity document (built from the provider's idPath/namePath). */
  identityBody?: unknown;
  /** The header an API request must carry the credential in (default authorization: Bearer …). */
  apiKeyHeader?: string | undefined;
  /** The query parameter carrying the credential instead (Trello's token=). */
  apiKeyQuery?: string | undefined;
}

export interface FakeProviderToken {
  accessToken: string;
  refreshToken?: string;
  expiresAt?: number;
  active: boolean;
  refreshActive: boolean;
  scopes: string[];
  grant: 'authorization_code' | 'refresh_token';
}

type Fault = { kind: 'status'; status: number } | { kind: 'hang' } | { kind: 'error'; error: string };

interface IssuedCode {
  redirectUri: string;
  scopes: string[];
  codeChallenge?: string;
  expiresAt: number;
  used: boolean;
}

/** One provider hosted by the fake: its URLs, its ledger, and what it was asked. */
export class FakeProviderHandle extends FakeTokenLedger<FakeProviderToken, Fault> {
  authorizeRequests = 0;
  /** Every rejected request, as "<endpoint>: <reason>", so a failing test says why. */
  readonly rejections: string[] = [];
  /** Tokens revoked through the revocation endpoint (access or refresh). */
  readonly revokedTokens: string[] = [];
  /** Every revocation request, in order, with what it carried and how it was answered. */
  readonly revocationLog: Array<{ at: number; token: string | undefined; hint: string | undefined; answer: number | 'hang' }> = [];
  /** Answers queued for the next revocation requests (then normal behaviour): a status with an optional Retry-After, or a hang. */
  readonly revocationFaults: Array<{ status: number; retryAfter?: string; body?: unknown } | 'hang'> = [];
  readonly apiRequests: string[] = [];
  /** The last authorization request's query, for checks on scope separators and PKCE. */
  lastAuthorizeQuery: URLSearchParams | undefined;
  /** API keys (or "username:password" pairs for Basic) the credential check accepts. */
  readonly validApiKeys = new Set<string>();
  /** @internal */ readonly codes = new Map<string, IssuedCode>();

  constructor(
    readonly key: string,
    readonly base: string,
    public spec: FakeProviderSpec,
  ) {
    super();
  }

  get authorizationUrl(): string {
    return `${this.base}/authorize`;
  }
  get tokenUrl(): string {
    return `${this.base}/token`;
  }
  get refreshUrl(): string {
    return `${this.base}/refresh`;
  }
  get revocationUrl(): string {
    if (this.spec.revocation === 'github-token') return `${this.base}/applications/{client_id}/token`;
    if (this.spec.revocation === 'refresh-token-in-path') return `${this.base}/revoke/{refresh_token}`;
    return `${this.base}/revoke`;
  }
  get apiUrl(): string {
    return `${this.base}/api`;
  }

  /** Every code issued so far now answers invalid_grant, as a code past its lifetime does. */
  expireCodes(): void {
    for (const code of this.codes.values()) code.expiresAt = 0;
  }

  /** The next token request answers an OAuth error with this code (in the provider's error style). */
  failNextTokenRequestWith(error: string): void {
    this.faults.push({ kind: 'error', error });
  }
}

export interface FakeProviderServer {
  url: string;
  /** Hosts a provider under /p/<key>; the key must be URL-safe and unique. */
  add(key: string, spec: FakeProviderSpec): FakeProviderHandle;
  get(key: string): FakeProviderHandle;
  close(): Promise<void>;
}

const token = (prefix: string) => `${prefix}_${randomBytes(18).toString('base64url')}`;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > 64 * 1024) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** A JWT-shaped token whose signature nobody checks: only the gateway's reading of `exp` matters. */
function unsignedJwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}.${randomBytes(16).toString('base64url')}`;
}

function parseBody(req: IncomingMessage, text: string): Record<string, string> {
  const type = req.headers['content-type'] ?? '';
  if (type.includes('json')) {
    try {
      const parsed = JSON.parse(text) as Record<string, unknown>;
      return Object.fromEntries(Object.entries(parsed).map(([key, value]) => [key, String(value)]));
    } catch {
      return {};
    }
  }
  return Object.fromEntries(new URLSearchParams(text));
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function decodeBasic(header: string | undefined): { user: string; password: string } | undefined {
  const match = /^Basic\s+(.+)$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  const unform = (value: string) => decodeURIComponent(value.replace(/\+/g, ' '));
  return { user: unform(decoded.slice(0, colon)), password: unform(decoded.slice(colon + 1)) };
}

function bearerOf(req: IncomingMessage): string | undefined {
  return /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
}

export async function startFakeProviderServer(): Promise<FakeProviderServer> {
  const hosted = new Map<string, FakeProviderHandle>();
  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end('{"error":"server_error"}');
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake.invalid');
    const match = /^\/p\/([\w-]+)(\/.*)?$/.exec(url.pathname);
    const provider = match ? hosted.get(match[1]!) : undefined;
    if (!provider) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"unknown provider"}');
      return;
    }
    const rest = match![2] ?? '/';
    if (rest === '/authorize' && req.method === 'GET') return authorize(provider, url, res);
    if (rest === '/token' && req.method === 'POST') return tokenEndpoint(provider, req, res, 'token');
    if (rest === '/refresh' && req.method === 'POST' && provider.spec.separateRefreshEndpoint) return tokenEndpoint(provider, req, res, 'refresh');
    if (rest === '/revoke' || rest.startsWith('/revoke/') || /^\/applications\/[^/]+\/token$/.test(rest)) return revoke(provider, req, url, rest, res);
    if (rest.startsWith('/api')) return api(provider, req, rest.slice('/api'.length) || '/', res);
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not_found"}');
  }

  function authorize(provider: FakeProviderHandle, url: URL, res: ServerResponse): void {
    provider.authorizeRequests += 1;
    provider.lastAuthorizeQuery = url.searchParams;
    const { spec } = provider;
    const q = url.searchParams;
    const redirectUri = q.get('redirect_uri');
    const reject = (reason: string) => {
      provider.rejections.push(`authorize: ${reason}`);
      res.writeHead(400, { 'content-type': 'text/plain' }).end(reason);
    };
    if (q.get('client_id') !== spec.clientId) return reject('unknown client_id');
    if (q.get('response_type') !== 'code') return reject('response_type must be code');
    if (!redirectUri) return reject('redirect_uri missing');
    const challenge = q.get('code_challenge') ?? undefined;
    if (challenge && q.get('code_challenge_method') !== 'S256') return reject('only S256 PKCE');
    if (spec.pkce && !challenge) return reject('PKCE required');
    const scopeParam = q.get('scope') ?? '';
    const separator = spec.scopeSeparator ?? ' ';
    if (separator === ',' && / /.test(scopeParam)) return reject('scopes must be comma-separated');
    if (separator === ' ' && /,/.test(scopeParam)) return reject('scopes must be space-separated');
    const code = token('code');
    provider.codes.set(code, {
      redirectUri,
      scopes: scopeParam.split(separator).filter(Boolean),
      ...(challenge ? { codeChallenge: challenge } : {}),
      expiresAt: Date.now() + (spec.codeLifetimeSeconds ?? 600) * 1000,
      used: false,
    });
    const back = new URL(redirectUri);
    back.searchParams.set('code', code);
    const state = q.get('state');
    if (state !== null) back.searchParams.set('state', state);
    if (spec.issuer) back.searchParams.set('iss', spec.issuer);
    res.writeHead(302, { location: back.href }).end();
  }

  function answerToken(provider: FakeProviderHandle, req: IncomingMessage, res: ServerResponse, status: number, body: Record<string, unknown>): void {
    const { spec } = provider;
    const isError = typeof body.error === 'string';
    const finalStatus = isError && spec.errorsWithStatus200 ? 200 : status;
    const wantsJson = (req.headers.accept ?? '').includes('json');
    if (spec.formEncodedUnlessJsonAccepted && !wantsJson) {
      const form = new URLSearchParams(Object.entries(body).map(([key, value]) => [key, String(value)]));
      res.writeHead(finalStatus, { 'content-type': 'application/x-www-form-urlencoded', 'cache-control': 'no-store' }).end(form.toString());
      return;
    }
    res.writeHead(finalStatus, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
  }

  async function tokenEndpoint(provider: FakeProviderHandle, req: IncomingMessage, res: ServerResponse, endpoint: 'token' | 'refresh'): Promise<void> {
    const { spec } = provider;
    provider.tokenRequests += 1;
    const text = await readBody(req);
    const json = (req.headers['content-type'] ?? '').includes('json');
    const body = parseBody(req, text);
    const basic = decodeBasic(req.headers.authorization);
    const record: FakeTokenRequestRecord = {
      grantType: body.grant_type,
      accept: req.headers.accept,
      contentType: req.headers['content-type'],
      clientAuth: basic ? 'basic' : body.client_secret ? 'body' : 'none',
      hasCodeVerifier: Boolean(body.code_verifier),
      hasRedirectUri: Boolean(body.redirect_uri),
    };
    provider.recordTokenRequest(record);
    const fail = (error: string, reason: string, status = 400) => {
      provider.rejections.push(`token: ${reason}`);
      answerToken(provider, req, res, status, { error, error_description: reason });
    };

    const fault = provider.faults.shift();
    if (fault?.kind === 'hang') return;
    if (fault?.kind === 'status') {
      res.writeHead(fault.status, { 'content-type': 'text/html' }).end('<html><body>Service unavailable</body></html>');
      return;
    }
    if (fault?.kind === 'error') return fail(fault.error, 'fault queued by the test');
    const missingHeader = missingRequiredHeader(spec, req);
    if (missingHeader) return fail('invalid_request', `the ${missingHeader} header is required`);
    if (spec.jsonTokenRequests && !json) return fail('invalid_request', 'the body must be JSON');
    if (!spec.jsonTokenRequests && json) return fail('invalid_request', 'the body must be form-encoded');
    const expected = spec.separateRefreshEndpoint && body.grant_type === 'refresh_token' ? 'refresh' : 'token';
    if (endpoint !== expected) return fail('unsupported_grant_type', `grant_type ${body.grant_type ?? '(none)'} is not accepted at the ${endpoint} endpoint`);

    // Client authentication, exactly as the provider declares it.
    if (spec.clientAuthMethod === 'client_secret_basic') {
      if (!basic) return fail('invalid_client', 'Basic client authentication required', 401);
      if (body.client_secret) return fail('invalid_request', 'client_secret in the body as well as in Basic');
      if (spec.clientIdWithBasic && body.client_id !== spec.clientId) return fail('invalid_request', 'client_id missing from the body');
      if (basic.user !== spec.clientId || !safeEqual(basic.password, spec.clientSecret ?? '')) return fail('invalid_client', 'bad client credentials', 401);
    } else if (spec.clientAuthMethod === 'client_secret_post') {
      if (basic) return fail('invalid_client', 'client credentials must be in the body, not Basic', 401);
      if (body.client_id !== spec.clientId || !safeEqual(body.client_secret ?? '', spec.clientSecret ?? '')) return fail('invalid_client', 'bad client credentials', 401);
    } else if (body.client_id !== spec.clientId) {
      return fail('invalid_client', 'client_id missing', 401);
    }

    if (body.grant_type === 'authorization_code') {
      for (const [name, value] of Object.entries(spec.requiredTokenParams ?? {})) {
        if (body[name] !== value) return fail('invalid_request', `${name}=${value} missing from the code exchange`);
      }
      const issued = body.code ? provider.codes.get(body.code) : undefined;
      if (!issued) return fail('invalid_grant', 'unknown code');
      if (issued.used) return fail('invalid_grant', 'code already used');
      issued.used = true;
      if (issued.expiresAt < Date.now()) return fail('invalid_grant', 'code expired');
      if (body.redirect_uri !== issued.redirectUri) return fail('invalid_grant', 'redirect_uri differs from the authorization request');
      if (issued.codeChallenge) {
        if (!body.code_verifier) return fail('invalid_grant', 'code_verifier missing');
        const computed = createHash('sha256').update(body.code_verifier).digest('base64url');
        if (!safeEqual(computed, issued.codeChallenge)) return fail('invalid_grant', 'code_verifier does not match');
      }
      return issue(provider, req, res, issued.scopes, 'authorization_code', undefined);
    }
    if (body.grant_type === 'refresh_token') {
      const previous = provider.findByRefreshToken(body.refresh_token ?? '');
      if (!spec.issuesRefreshToken || !previous || !previous.refreshActive) {
        return fail(spec.deadRefreshError ?? 'invalid_grant', 'refresh token unknown or revoked');
      }
      return issue(provider, req, res, previous.scopes, 'refresh_token', previous);
    }
    return fail('unsupported_grant_type', `grant_type ${body.grant_type ?? '(none)'} is not supported`);
  }

  function issue(
    provider: FakeProviderHandle,
    req: IncomingMessage,
    res: ServerResponse,
    scopes: string[],
    grant: FakeProviderToken['grant'],
    previous: FakeProviderToken | undefined,
  ): void {
    const { spec } = provider;
    const jwtExp = spec.jwtAccessTokenSeconds === undefined ? undefined : Math.floor(Date.now() / 1000) + spec.jwtAccessTokenSeconds;
    const accessToken = jwtExp === undefined ? token('at') : unsignedJwt({ sub: token('at'), exp: jwtExp });
    let refreshToken: string | undefined;
    let sendRefresh = false;
    if (spec.issuesRefreshToken) {
      if (!previous || spec.refreshTokenRotates) {
        refreshToken = token('rt');
        sendRefresh = true;
        if (previous) previous.refreshActive = false;
      } else {
        refreshToken = previous.refreshToken;
        sendRefresh = !spec.refreshTokenOmitted;
      }
    }
    const expiresAt = jwtExp !== undefined ? jwtExp * 1000 : spec.expiresInSeconds === undefined ? undefined : Date.now() + spec.expiresInSeconds * 1000;
    provider.issuedTokens.push({
      accessToken,
      ...(refreshToken ? { refreshToken } : {}),
      ...(expiresAt !== undefined ? { expiresAt } : {}),
      active: true,
      refreshActive: true,
      scopes,
      grant,
    });
    const answer: Record<string, unknown> = { access_token: accessToken, ...spec.tokenFields };
    if (!spec.tokenTypeMissing) answer.token_type = 'bearer';
    if (spec.expiresInSeconds !== undefined) answer.expires_in = spec.expiresInSeconds;
    if (sendRefresh && refreshToken) answer.refresh_token = refreshToken;
    if (spec.grantedScopes === 'array') answer.scope = scopes;
    else if (spec.grantedScopes !== 'absent') answer.scope = scopes.join(spec.grantedScopes ?? ' ');
    answerToken(provider, req, res, 200, answer);
  }

  async function revoke(provider: FakeProviderHandle, req: IncomingMessage, url: URL, rest: string, res: ServerResponse): Promise<void> {
    const { spec } = provider;
    const text = await readBody(req);
    const received = parseBody(req, text);
    const names = spec.revocation === 'rfc7009' ? spec.revocationBodyFields : undefined;
    const unnamed = names ? Object.keys(received).filter((key) => !Object.values(names).includes(key)) : [];
    const body: Record<string, string> = names
      ? Object.fromEntries(Object.entries(names).flatMap(([field, name]) => (name && received[name] !== undefined ? [[field, received[name]!]] : [])))
      : received;
    const refuse = (status: number, reason: string) => {
      provider.rejections.push(`revoke: ${reason}`);
      provider.revocationLog.at(-1)!.answer = status;
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'invalid_request', error_description: reason }));
    };
    const fault = provider.revocationFaults.shift();
    const logged = { at: Date.now(), token: body.token ?? body.access_token ?? bearerOf(req), hint: body.token_type_hint, answer: fault === 'hang' ? ('hang' as const) : (fault?.status ?? 200) };
    provider.revocationLog.push(logged);
    if (fault === 'hang') return; // never answered: the gateway's timeout ends it
    if (fault) {
      res
        .writeHead(fault.status, { 'content-type': fault.body ? 'application/json' : 'text/html', ...(fault.retryAfter ? { 'retry-after': fault.retryAfter } : {}) })
        .end(fault.body ? JSON.stringify(fault.body) : '<html><body>Service unavailable</body></html>');
      return;
    }
    const missingHeader = missingRequiredHeader(spec, req);
    if (missingHeader) return refuse(400, `the ${missingHeader} header is required`);
    let revoked: string | undefined;
    switch (spec.revocation) {
      case 'rfc7009': {
        if (req.method !== 'POST') return refuse(405, 'POST required');
        const jsonBody = Boolean(spec.jsonTokenRequests || spec.jsonRevocationRequests);
        if (jsonBody !== (req.headers['content-type'] ?? '').includes('json')) return refuse(400, jsonBody ? 'the body must be JSON' : 'the body must be form-encoded');
        if (unnamed.length > 0) return refuse(400, `fields this provider does not name: ${unnamed.join(', ')}`);
        const basic = decodeBasic(req.headers.authorization);
        const authenticated =
          spec.clientAuthMethod === 'none'
            ? body.client_id === spec.clientId
            : (basic?.user === spec.clientId && safeEqual(basic.password, spec.clientSecret ?? '')) ||
              (body.client_id === spec.clientId && safeEqual(body.client_secret ?? '', spec.clientSecret ?? ''));
        if (!authenticated) return refuse(401, 'client authentication failed');
        if (spec.clientIdWithBasic && body.client_id !== spec.clientId) return refuse(400, 'client_id missing from the body');
        revoked = body.token;
        if (spec.revokesAccessTokensOnly && revoked && provider.findByRefreshToken(revoked)) {
          provider.rejections.push('revoke: a refresh token');
          provider.revocationLog.at(-1)!.answer = 400;
          res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 400, message: 'Invalid token' }));
          return;
        }
        break;
      }
      case 'github-token': {
        const basic = decodeBasic(req.headers.authorization);
        if (req.method !== 'DELETE') return refuse(405, 'DELETE required');
        if (rest !== `/applications/${encodeURIComponent(spec.clientId)}/token`) return refuse(404, 'wrong client id in path');
        if (basic?.user !== spec.clientId || !safeEqual(basic.password, spec.clientSecret ?? '')) return refuse(401, 'Basic client authentication required');
        revoked = body.access_token;
        break;
      }
      case 'stripe-deauthorize': {
        if (bearerOf(req) !== spec.clientSecret || body.client_id !== spec.clientId) return refuse(401, 'secret key and client_id required');
        const account = body.stripe_user_id;
        const owner = provider.issuedTokens.find(() => spec.tokenFields?.stripe_user_id === account);
        if (!owner) return refuse(400, 'unknown account');
        for (const issued of provider.issuedTokens) {
          issued.active = false;
          issued.refreshActive = false;
        }
        provider.revokedTokens.push(`account:${account}`);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ stripe_user_id: account }));
        return;
      }
      case 'bearer-token':
      case 'bearer-token-delete': {
        const method = spec.revocation === 'bearer-token' ? 'POST' : 'DELETE';
        if (req.method !== method) return refuse(405, `${method} required`);
        if (text.length > 0) return refuse(400, 'no body expected');
        revoked = bearerOf(req);
        break;
      }
      case 'token-and-client-in-body': {
        if (req.method !== 'POST') return refuse(405, 'POST required');
        if (!(req.headers['content-type'] ?? '').includes('json')) return refuse(400, 'the body must be JSON');
        if (body.client_id !== spec.clientId || !safeEqual(body.client_secret ?? '', spec.clientSecret ?? '')) return refuse(401, 'client_id and client_secret required in the body');
        revoked = body.access_token;
        break;
      }
      case 'bearer-and-token-field':
      case 'bearer-and-access-token-field': {
        if (req.method !== 'POST') return refuse(405, 'POST required');
        const bearer = bearerOf(req);
        const field = spec.revocation === 'bearer-and-token-field' ? 'token' : 'access_token';
        if (!bearer || body[field] !== bearer) return refuse(401, `the access token as Bearer and as the ${field} field required`);
        revoked = bearer;
        break;
      }
      case 'client-secret-header-json': {
        if (req.method !== 'POST') return refuse(405, 'POST required');
        if (!(req.headers['content-type'] ?? '').includes('json')) return refuse(400, 'the body must be JSON');
        const scheme = /^Client\s+(\S+)$/.exec(req.headers.authorization ?? '')?.[1];
        if (!scheme || !safeEqual(scheme, spec.clientSecret ?? '') || body.client_id !== spec.clientId) return refuse(401, 'Authorization: Client <secret> and client_id required');
        revoked = body.access_token;
        break;
      }
      case 'refresh-token-in-path': {
        if (req.method !== 'DELETE') return refuse(405, 'DELETE required');
        revoked = decodeURIComponent(rest.slice('/revoke/'.length));
        if (!provider.findByRefreshToken(revoked)) return refuse(404, 'not a refresh token this provider issued');
        break;
      }
      default:
        return refuse(404, 'this provider has no revocation endpoint');
    }
    if (!revoked) return refuse(400, 'no token in the revocation request');
    for (const issued of provider.issuedTokens) {
      if (issued.accessToken === revoked) issued.active = false;
      if (issued.refreshToken === revoked) {
        issued.refreshActive = false;
        issued.active = false;
      }
    }
    provider.revokedTokens.push(revoked);
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  }

  function api(provider: FakeProviderHandle, req: IncomingMessage, path: string, res: ServerResponse): void {
    const { spec } = provider;
    provider.apiRequests.push(`${req.method} ${path}`);
    const unauthorized = (reason: string) => {
      provider.rejections.push(`api: ${reason}`);
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer error="invalid_token"' }).end(JSON.stringify({ error: 'unauthorized' }));
    };
    // A key credential: in a named header, as Bearer, or as Basic username:password.
    const headerName = spec.apiKeyHeader?.toLowerCase();
    const query = new URL(req.url ?? '/', 'http://fake.invalid').searchParams;
    const presented = spec.apiKeyQuery
      ? query.get(spec.apiKeyQuery) ?? undefined
      : headerName && headerName !== 'authorization'
        ? (req.headers[headerName] as string | undefined)
        : bearerOf(req) ?? (() => {
            const basic = decodeBasic(req.headers.authorization);
            return basic ? `${basic.user}:${basic.password}` : undefined;
          })();
    if (!presented) return unauthorized('no credential');
    if (provider.validApiKeys.has(presented)) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(spec.identityBody ?? { ok: true }));
      return;
    }
    const issued = provider.findByAccessToken(presented);
    if (!issued || !issued.active) return unauthorized('unknown or revoked token');
    if (issued.expiresAt !== undefined && issued.expiresAt <= Date.now()) return unauthorized('expired token');
    const body = spec.identityPath && path === spec.identityPath ? spec.identityBody : { ok: true, path };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    add(key, spec) {
      if (!/^[\w-]+$/.test(key) || hosted.has(key)) throw new Error(`fake provider key ${key} is not URL-safe or is taken`);
      const handle = new FakeProviderHandle(key, `${url}/p/${key}`, spec);
      hosted.set(key, handle);
      return handle;
    },
    get(key) {
      const handle = hosted.get(key);
      if (!handle) throw new Error(`no fake provider ${key}`);
      return handle;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Sets each value at its dot-separated path (`0.tenantId` makes an array) of a fresh document, as a provider's idPath reads it. */
export function documentWith(paths: Record<string, unknown>): unknown {
  const container = (key: string): Record<string, unknown> => (/^\d+$/.test(key) ? ([] as unknown as Record<string, unknown>) : {});
  const first = Object.keys(paths)[0]?.split('.')[0] ?? '';
  const root = container(first);
  for (const [path, value] of Object.entries(paths)) {
    const keys = path.split('.');
    let node = root;
    keys.slice(0, -1).forEach((key, index) => {
      node[key] ??= container(keys[index + 1]!);
      node = node[key] as Record<string, unknown>;
    });
    node[keys.at(-1)!] = value;
  }
  return root;
}

/** The fake's behaviour for a provider file: every fact the file declares, and nothing it does not. */
export function specFromProvider(provider: ProviderDefinition, app: { clientId: string; clientSecret: string }, base: string): FakeProviderSpec {
  const { quirks } = provider;
  const identity = provider.identity;
  const accountId = `acct-${provider.graphQLField}`;
  const tokenFields: Record<string, unknown> = {};
  for (const field of quirks.keepFields ?? []) tokenFields[field] = `${field}-value`;
  let identityPath: string | undefined;
  let identityBody: unknown;
  if (identity.from === 'api') {
    identityPath = `/${identity.path.replace(/^\//, '').split('?')[0]}`;
    identityBody = documentWith({ [identity.idPath]: accountId, ...(identity.namePath ? { [identity.namePath]: `Name of ${accountId}` } : {}) });
  } else if (identity.from === 'token-response') {
    tokenFields[identity.idField] = accountId;
    if (identity.nameField) tokenFields[identity.nameField] = `Name of ${accountId}`;
  } else if (identity.from === 'token-response-url') {
    tokenFields[identity.urlField] = `${base}/api/identity`;
    identityPath = '/identity';
    identityBody = documentWith({ [identity.idPath]: accountId, ...(identity.namePath ? { [identity.namePath]: `Name of ${accountId}` } : {}) });
  }
  if (quirks.apiBaseUrlField) delete tokenFields[quirks.apiBaseUrlField];
  const expiresIn = quirks.assumedLifetimeSeconds !== undefined ? undefined : provider.supportsRefresh ? 3600 : undefined;
  return {
    clientId: app.clientId,
    clientSecret: app.clientSecret,
    clientAuthMethod: provider.clientAuthMethod as FakeProviderSpec['clientAuthMethod'],
    pkce: provider.pkce,
    // An overridden authorization endpoint is its own issuer (RFC 9207), as the gateway assumes.
    issuer: new URL(base).origin,
    scopeSeparator: provider.scopeSeparator,
    expiresInSeconds: expiresIn,
    // Two hours, not the assumed one, so a test tells the token's own exp from the assumption.
    jwtAccessTokenSeconds: quirks.expiryFromJwtExp ? 7200 : undefined,
    issuesRefreshToken: provider.supportsRefresh,
    refreshTokenRotates: Boolean(quirks.refreshTokenRotates && !quirks.refreshTokenMayBeOmitted),
    refreshTokenOmitted: Boolean(quirks.refreshTokenMayBeOmitted),
    formEncodedUnlessJsonAccepted: quirks.formEncodedUnlessJsonAccepted,
    errorsWithStatus200: quirks.errorsWithStatus200,
    grantedScopes: quirks.scopeAbsentMeansRequested ? 'absent' : (quirks.grantedScopeSeparator ?? provider.scopeSeparator),
    tokenTypeMissing: quirks.tokenTypeMissing,
    jsonTokenRequests: quirks.jsonTokenRequests,
    jsonRevocationRequests: quirks.jsonRevocationRequests,
    revokesAccessTokensOnly: quirks.revokesAccessTokensOnly,
    revocationBodyFields: quirks.revocationBodyFields,
    clientIdWithBasic: quirks.clientIdWithBasic,
    separateRefreshEndpoint: Boolean(provider.endpoints.refresh),
    requiredTokenParams: provider.tokenParams,
    requiredEndpointHeaders: provider.endpointHeaders,
    deadRefreshError: quirks.reauthErrors?.[0],
    tokenFields,
    revocation: provider.revocation,
    identityPath,
    identityBody,
  };
}

/** The first header the spec requires on OAuth endpoints that the request lacks or gets wrong. */
function missingRequiredHeader(spec: FakeProviderSpec, req: IncomingMessage): string | undefined {
  return Object.entries(spec.requiredEndpointHeaders ?? {}).find(([name, value]) => req.headers[name.toLowerCase()] !== value)?.[0];
}

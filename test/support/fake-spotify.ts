// A local stand-in for accounts.spotify.com and api.spotify.com, reproducing Spotify's documented
// behaviour: authorization code flow with optional PKCE (S256), client authentication by Basic
// header or form fields, JSON answers with 400 {"error","error_description"} on failure, one-hour
// access tokens, refresh answers that may leave out refresh_token, and GET /v1/me with its
// {"error":{"status","message"}} failures. One server plays both hosts: their paths do not collide.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import spotify from '../../src/providers/spotify.js';

const ACCESS_TOKEN_LIFETIME_SECONDS = 3600;
const CODE_LIFETIME_MS = 10 * 60 * 1000;

export interface FakeSpotifyUser {
  id: string;
  account_id: string;
  display_name: string | null;
  email: string;
  country: string;
  product: string;
  [field: string]: unknown;
}

export interface FakeSpotifyOptions {
  clientId?: string;
  clientSecret?: string;
  /** Registered redirect URIs; Spotify requires an exact match. Without it any redirect_uri is accepted. */
  redirectUris?: string[];
  /** Answer the authorize endpoint with error=access_denied, as when the user cancels. */
  denyAuthorization?: boolean;
  /** Refresh answers leave out refresh_token, as Spotify usually does for confidential clients (default true). */
  omitRefreshTokenOnRefresh?: boolean;
  /**
   * Every refresh issues a new refresh token and invalidates the old one (default false). Tokens
   * issued to a public PKCE client always rotate, as Spotify's do.
   */
  rotateRefreshTokens?: boolean;
  /** Fields merged over the default profile returned by GET /v1/me. */
  user?: Partial<FakeSpotifyUser>;
}

export interface FakeSpotifyToken {
  accessToken: string;
  refreshToken: string;
  clientId: string;
  /** True when issued to a PKCE client that sent no secret. */
  publicClient: boolean;
  scopes: string[];
  issuedAt: number;
  expiresAt: number;
  active: boolean;
  refreshActive: boolean;
  grant: 'authorization_code' | 'refresh_token';
}

/** What a token request looked like, without any secret in it. */
export interface FakeTokenRequestRecord {
  grantType: string | undefined;
  accept: string | undefined;
  contentType: string | undefined;
  clientAuth: 'basic' | 'body' | 'none';
  hasCodeVerifier: boolean;
  hasRedirectUri: boolean;
}

type TokenFault =
  | { kind: 'status'; status: number }
  | { kind: 'hang' }
  | { kind: 'error'; status: number; error: string; description: string };

interface IssuedCode {
  clientId: string;
  redirectUri: string;
  scopes: string[];
  codeChallenge?: string;
  expiresAt: number;
  used: boolean;
}

export class FakeSpotifyState {
  authorizeRequests = 0;
  /** Every POST to /api/token, whatever its grant or outcome. */
  tokenRequests = 0;
  codeExchanges = 0;
  refreshRequests = 0;
  meRequests = 0;
  readonly issuedTokens: FakeSpotifyToken[] = [];
  readonly tokenRequestLog: FakeTokenRequestRecord[] = [];
  denyAuthorization: boolean;
  omitRefreshTokenOnRefresh: boolean;
  rotateRefreshTokens: boolean;
  user: FakeSpotifyUser;

  /** @internal */ readonly codes = new Map<string, IssuedCode>();
  /** @internal */ readonly faults: TokenFault[] = [];

  constructor(options: FakeSpotifyOptions) {
    this.denyAuthorization = options.denyAuthorization ?? false;
    this.omitRefreshTokenOnRefresh = options.omitRefreshTokenOnRefresh ?? true;
    this.rotateRefreshTokens = options.rotateRefreshTokens ?? false;
    this.user = { ...defaultUser(), ...options.user } as FakeSpotifyUser;
  }

  get lastToken(): FakeSpotifyToken | undefined {
    return this.issuedTokens.at(-1);
  }

  /** The next token request answers `status` (default 500) with Spotify's HTML error page. */
  failNextTokenRequest(status = 500): void {
    this.faults.push({ kind: 'status', status });
  }

  /** The next token request is never answered (until `close()`), for timeout tests. */
  hangNextTokenRequest(): void {
    this.faults.push({ kind: 'hang' });
  }

  /** The next token request answers this OAuth error as JSON with `status` (default 400). */
  errorNextTokenRequest(error: string, description = 'The request failed.', status = 400): void {
    this.faults.push({ kind: 'error', status, error, description });
  }

  /** The access token stops working: GET /v1/me answers 401 "The access token expired". */
  expireAccessToken(accessToken: string): void {
    const token = this.findByAccessToken(accessToken);
    if (token) {
      token.expiresAt = Date.now() - 1;
    }
  }

  /** The access token is no longer recognised: GET /v1/me answers 401 "Invalid access token". */
  invalidateAccessToken(accessToken: string): void {
    const token = this.findByAccessToken(accessToken);
    if (token) {
      token.active = false;
    }
  }

  expireAllAccessTokens(): void {
    for (const token of this.issuedTokens) {
      token.expiresAt = Date.now() - 1;
    }
  }

  /** Refreshing with this refresh token answers 400 invalid_grant "Refresh token revoked". */
  invalidateRefreshToken(refreshToken: string): void {
    for (const token of this.issuedTokens.filter((candidate) => candidate.refreshToken === refreshToken)) {
      token.refreshActive = false;
    }
  }

  invalidateAllRefreshTokens(): void {
    for (const token of this.issuedTokens) {
      token.refreshActive = false;
    }
  }

  findByAccessToken(accessToken: string): FakeSpotifyToken | undefined {
    return this.issuedTokens.find((token) => token.accessToken === accessToken);
  }

  /** The newest token record carrying this refresh token (kept refresh tokens span several records). */
  findByRefreshToken(refreshToken: string): FakeSpotifyToken | undefined {
    return this.issuedTokens.findLast((token) => token.refreshToken === refreshToken);
  }
}

export interface FakeSpotify {
  /** Base URL, e.g. http://127.0.0.1:54321 (plays both accounts.spotify.com and api.spotify.com). */
  url: string;
  clientId: string;
  clientSecret: string;
  /** LATCHKEY_SPOTIFY_* endpoint overrides pointing at this fake. */
  env: Record<string, string>;
  state: FakeSpotifyState;
  close(): Promise<void>;
}

export async function startFakeSpotify(options: FakeSpotifyOptions = {}): Promise<FakeSpotify> {
  const clientId = options.clientId ?? 'fake0spotify0client0id00000000ab';
  const clientSecret = options.clientSecret ?? 'fake0spotify0client0secret000000';
  const state = new FakeSpotifyState(options);
  const app: AppConfig = { clientId, clientSecret, redirectUris: options.redirectUris };

  const server = createServer((req, res) => {
    handleRequest(app, state, req, res).catch(() => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'text/plain' }).end('fake-spotify internal error');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  return {
    url,
    clientId,
    clientSecret,
    env: {
      LATCHKEY_SPOTIFY_AUTHORIZATION_URL: `${url}/authorize`,
      LATCHKEY_SPOTIFY_TOKEN_URL: `${url}/api/token`,
      LATCHKEY_SPOTIFY_API_URL: url,
    },
    state,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

interface AppConfig {
  clientId: string;
  clientSecret: string;
  redirectUris: string[] | undefined;
}

async function handleRequest(
  app: AppConfig,
  state: FakeSpotifyState,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://fake-spotify.invalid');
  const method = req.method ?? 'GET';
  if (url.pathname === '/authorize' && method === 'GET') {
    handleAuthorize(app, state, url, res);
    return;
  }
  if (url.pathname === '/api/token' && method === 'POST') {
    await handleToken(app, state, req, res);
    return;
  }
  if (url.pathname === '/v1/me' && method === 'GET') {
    handleMe(state, req, res);
    return;
  }
  sendApiError(res, 404, 'Service not found');
}

// ---------------------------------------------------------------------------------------------
// GET /authorize

function handleAuthorize(app: AppConfig, state: FakeSpotifyState, url: URL, res: ServerResponse): void {
  state.authorizeRequests += 1;
  const params = url.searchParams;
  // Spotify shows an error page, not a redirect, when it cannot trust the client or redirect URI.
  if (params.get('client_id') !== app.clientId) {
    sendHtml(res, 400, 'INVALID_CLIENT: Invalid client');
    return;
  }
  const redirectUri = params.get('redirect_uri');
  if (!redirectUri || (app.redirectUris && !app.redirectUris.includes(redirectUri))) {
    sendHtml(res, 400, 'INVALID_CLIENT: Invalid redirect URI');
    return;
  }
  const stateParam = params.get('state');
  if (params.get('response_type') !== 'code') {
    redirectWith(res, redirectUri, { error: 'unsupported_response_type', state: stateParam });
    return;
  }
  const scopes = splitScopes(params.get('scope'));
  const known = new Set(spotify.scopes.map((definition) => definition.scope));
  if (scopes.some((scope) => !known.has(scope))) {
    redirectWith(res, redirectUri, { error: 'invalid_scope', state: stateParam });
    return;
  }
  const codeChallenge = params.get('code_challenge') ?? undefined;
  if (codeChallenge !== undefined && params.get('code_challenge_method') !== 'S256') {
    redirectWith(res, redirectUri, {
      error: 'invalid_request',
      error_description: 'code_challenge_method must be S256',
      state: stateParam,
    });
    return;
  }
  if (state.denyAuthorization) {
    redirectWith(res, redirectUri, { error: 'access_denied', state: stateParam });
    return;
  }
  const code = `AQ${randomBytes(96).toString('base64url')}`;
  state.codes.set(code, {
    clientId: app.clientId,
    redirectUri,
    scopes,
    codeChallenge,
    expiresAt: Date.now() + CODE_LIFETIME_MS,
    used: false,
  });
  redirectWith(res, redirectUri, { code, state: stateParam });
}

// ---------------------------------------------------------------------------------------------
// POST /api/token

interface ClientAuth {
  clientId: string | undefined;
  /** undefined: no secret was sent (a PKCE public client). */
  secretValid: boolean | undefined;
  method: FakeTokenRequestRecord['clientAuth'];
}

async function handleToken(
  app: AppConfig,
  state: FakeSpotifyState,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  state.tokenRequests += 1;
  const body = await readBody(req);
  // Spotify reads only form bodies; anything else arrives as a request without parameters.
  const isForm = (req.headers['content-type'] ?? '').toLowerCase().includes('application/x-www-form-urlencoded');
  const params = isForm ? new URLSearchParams(body) : new URLSearchParams();
  const auth = clientAuth(app, req, params);
  const grantType = params.get('grant_type') ?? undefined;
  state.tokenRequestLog.push({
    grantType,
    accept: req.headers.accept,
    contentType: req.headers['content-type'],
    clientAuth: auth.method,
    hasCodeVerifier: params.has('code_verifier'),
    hasRedirectUri: params.has('redirect_uri'),
  });
  if (grantType === 'refresh_token') {
    state.refreshRequests += 1;
  } else if (grantType === 'authorization_code') {
    state.codeExchanges += 1;
  }

  const fault = state.faults.shift();
  if (fault?.kind === 'hang') {
    return;
  }
  if (fault?.kind === 'status') {
    sendHtml(res, fault.status, 'Oops! Something went wrong, please try again or check out our help area.');
    return;
  }
  if (fault?.kind === 'error') {
    sendTokenJson(res, fault.status, { error: fault.error, error_description: fault.description });
    return;
  }

  if (grantType === undefined) {
    sendTokenJson(res, 400, { error: 'unsupported_grant_type', error_description: 'grant_type parameter is missing' });
    return;
  }
  if (auth.clientId !== app.clientId) {
    sendTokenJson(res, 400, { error: 'invalid_client', error_description: 'Invalid client' });
    return;
  }
  if (auth.secretValid === false) {
    sendTokenJson(res, 400, { error: 'invalid_client', error_description: 'Invalid client secret' });
    return;
  }
  if (grantType === 'authorization_code') {
    answerCodeExchange(app, state, params, auth, res);
    return;
  }
  if (grantType === 'refresh_token') {
    answerRefresh(app, state, params, auth, res);
    return;
  }
  sendTokenJson(res, 400, {
    error: 'unsupported_grant_type',
    error_description: 'grant_type must be client_credentials, authorization_code or refresh_token',
  });
}

function clientAuth(app: AppConfig, req: IncomingMessage, params: URLSearchParams): ClientAuth {
  const basic = parseBasicAuth(req.headers.authorization);
  if (basic) {
    return { clientId: basic.user, secretValid: safeEqual(basic.password, app.clientSecret), method: 'basic' };
  }
  const secret = params.get('client_secret');
  return {
    clientId: params.get('client_id') ?? undefined,
    secretValid: secret === null ? undefined : safeEqual(secret, app.clientSecret),
    method: secret === null ? 'none' : 'body',
  };
}

function answerCodeExchange(
  app: AppConfig,
  state: FakeSpotifyState,
  params: URLSearchParams,
  auth: ClientAuth,
  res: ServerResponse,
): void {
  const issued = state.codes.get(params.get('code') ?? '');
  if (!issued || issued.used || issued.expiresAt < Date.now() || issued.clientId !== auth.clientId) {
    sendTokenJson(res, 400, { error: 'invalid_grant', error_description: 'Invalid authorization code' });
    return;
  }
  if (params.get('redirect_uri') !== issued.redirectUri) {
    sendTokenJson(res, 400, { error: 'invalid_grant', error_description: 'Invalid redirect URI' });
    return;
  }
  const verifier = params.get('code_verifier');
  // Without a client secret the request must be a PKCE one.
  if ((issued.codeChallenge !== undefined || auth.secretValid === undefined) && verifier === null) {
    sendTokenJson(res, 400, { error: 'invalid_request', error_description: 'code_verifier required' });
    return;
  }
  if (verifier !== null && (issued.codeChallenge === undefined || s256(verifier) !== issued.codeChallenge)) {
    sendTokenJson(res, 400, { error: 'invalid_grant', error_description: 'code_verifier was incorrect' });
    return;
  }
  issued.used = true;
  const token = issueToken(app, state, issued.scopes, auth.secretValid === undefined, 'authorization_code');
  sendTokenJson(res, 200, {
    access_token: token.accessToken,
    token_type: 'Bearer',
    expires_in: ACCESS_TOKEN_LIFETIME_SECONDS,
    refresh_token: token.refreshToken,
    scope: token.scopes.join(' '),
  });
}

function answerRefresh(
  app: AppConfig,
  state: FakeSpotifyState,
  params: URLSearchParams,
  auth: ClientAuth,
  res: ServerResponse,
): void {
  const previous = state.findByRefreshToken(params.get('refresh_token') ?? '');
  if (!previous || previous.clientId !== auth.clientId) {
    sendTokenJson(res, 400, { error: 'invalid_grant', error_description: 'Invalid refresh token' });
    return;
  }
  if (!previous.refreshActive) {
    sendTokenJson(res, 400, { error: 'invalid_grant', error_description: 'Refresh token revoked' });
    return;
  }
  // A confidential client's refresh token needs the client secret; a public client's needs none.
  if (!previous.publicClient && auth.secretValid !== true) {
    sendTokenJson(res, 400, { error: 'invalid_client', error_description: 'Invalid client secret' });
    return;
  }
  const rotate = state.rotateRefreshTokens || previous.publicClient;
  const token = issueToken(app, state, previous.scopes, previous.publicClient, 'refresh_token');
  if (rotate) {
    previous.refreshActive = false;
  } else {
    token.refreshToken = previous.refreshToken;
  }
  const answer: Record<string, string | number> = {
    access_token: token.accessToken,
    token_type: 'Bearer',
    expires_in: ACCESS_TOKEN_LIFETIME_SECONDS,
    scope: token.scopes.join(' '),
  };
  if (rotate || !state.omitRefreshTokenOnRefresh) {
    answer['refresh_token'] = token.refreshToken;
  }
  sendTokenJson(res, 200, answer);
}

function issueToken(
  app: AppConfig,
  state: FakeSpotifyState,
  scopes: string[],
  publicClient: boolean,
  grant: FakeSpotifyToken['grant'],
): FakeSpotifyToken {
  const now = Date.now();
  const token: FakeSpotifyToken = {
    accessToken: `BQ${randomBytes(120).toString('base64url')}`,
    refreshToken: `AQ${randomBytes(96).toString('base64url')}`,
    clientId: app.clientId,
    publicClient,
    scopes,
    issuedAt: now,
    expiresAt: now + ACCESS_TOKEN_LIFETIME_SECONDS * 1000,
    active: true,
    refreshActive: true,
    grant,
  };
  state.issuedTokens.push(token);
  return token;
}

function sendTokenJson(res: ServerResponse, status: number, body: Record<string, string | number>): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-cache, no-store, must-revalidate' });
  res.end(JSON.stringify(body));
}

// ---------------------------------------------------------------------------------------------
// GET /v1/me

function handleMe(state: FakeSpotifyState, req: IncomingMessage, res: ServerResponse): void {
  state.meRequests += 1;
  const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  if (!match?.[1]) {
    sendApiError(res, 401, 'No token provided');
    return;
  }
  const token = state.findByAccessToken(match[1]);
  if (!token || !token.active) {
    sendApiError(res, 401, 'Invalid access token');
    return;
  }
  if (token.expiresAt <= Date.now()) {
    sendApiError(res, 401, 'The access token expired');
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'private, max-age=0' });
  res.end(JSON.stringify(profileFor(state.user, token.scopes)));
}

/** Spotify includes email only with user-read-email, and country, product and explicit_content only with user-read-private. */
function profileFor(user: FakeSpotifyUser, scopes: string[]): Record<string, unknown> {
  const profile: Record<string, unknown> = { ...user };
  if (!scopes.includes('user-read-email')) {
    delete profile['email'];
  }
  if (!scopes.includes('user-read-private')) {
    delete profile['country'];
    delete profile['product'];
    delete profile['explicit_content'];
  }
  return profile;
}

function sendApiError(res: ServerResponse, status: number, message: string): void {
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
  if (status === 401) {
    headers['www-authenticate'] = `Bearer realm="spotify", error="invalid_token", error_description="${message}"`;
  }
  res.writeHead(status, headers).end(JSON.stringify({ error: { status, message } }));
}

function defaultUser(): FakeSpotifyUser {
  const id = 'latchkeyfakeuser';
  return {
    account_id: 'aB3dE5fG7h',
    country: 'SE',
    display_name: 'Latchkey Fake User',
    email: 'fake-user@example.com',
    explicit_content: { filter_enabled: false, filter_locked: false },
    external_urls: { spotify: `https://open.spotify.com/user/${id}` },
    followers: { href: null, total: 3 },
    href: `https://api.spotify.com/v1/users/${id}`,
    id,
    images: [
      {
        url: 'https://i.scdn.co/image/ab67616d00001e02ff9ca10b55ce82ae553c8228',
        height: 300,
        width: 300,
      },
    ],
    product: 'premium',
    type: 'user',
    uri: `spotify:user:${id}`,
  };
}

// ---------------------------------------------------------------------------------------------
// Small helpers

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > 1_000_000) {
      throw new Error('body too large');
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseBasicAuth(header: string | undefined): { user: string; password: string } | undefined {
  const match = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function splitScopes(raw: string | null): string[] {
  return [...new Set((raw ?? '').split(' ').filter((scope) => scope.length > 0))];
}

function redirectWith(res: ServerResponse, target: string, params: Record<string, string | null | undefined>): void {
  const location = new URL(target);
  for (const [key, value] of Object.entries(params)) {
    if (value !== null && value !== undefined) {
      location.searchParams.set(key, value);
    }
  }
  res.writeHead(302, { location: location.toString() }).end();
}

function sendHtml(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
  res.end(`<!DOCTYPE html><html><body><h1>Error</h1><p>${message}</p></body></html>`);
}

function s256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

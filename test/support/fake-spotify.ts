// A local stand-in for accounts.spotify.com and api.spotify.com, reproducing Spotify's documented
// behaviour: authorization code flow with optional PKCE (S256), client authentication by Basic
// header or form fields, JSON answers with 400 {"error","error_description"} on failure, one-hour
// access tokens, refresh answers that may leave out refresh_token, and GET /v1/me with its
// {"error":{"status","message"}} failures. One server plays both hosts: their paths do not collide.
// The Web API paths pass-through calls are there too (top items, listening history, currently
// playing, playlists, search, player commands) over a small catalog, with scopes enforced, ETag/304,
// and queued faults: 429 with Retry-After, 5xx, and requests that never get an answer.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import spotify from '../../src/providers/spotify.js';
import { FakeTokenLedger, type FakeTokenRequestRecord } from './fake-token-ledger.js';

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
  grant: 'authorization_code' | 'refresh_token' | 'client_credentials';
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

export class FakeSpotifyState extends FakeTokenLedger<FakeSpotifyToken, TokenFault> {
  authorizeRequests = 0;
  meRequests = 0;
  denyAuthorization: boolean;
  omitRefreshTokenOnRefresh: boolean;
  rotateRefreshTokens: boolean;
  user: FakeSpotifyUser;

  /** @internal */ readonly codes = new Map<string, IssuedCode>();

  constructor(options: FakeSpotifyOptions) {
    super();
    this.denyAuthorization = options.denyAuthorization ?? false;
    this.omitRefreshTokenOnRefresh = options.omitRefreshTokenOnRefresh ?? true;
    this.rotateRefreshTokens = options.rotateRefreshTokens ?? false;
    this.user = { ...defaultUser(), ...options.user } as FakeSpotifyUser;
    seedCatalog(this);
  }

  /** Token-authenticated Web API requests (GET /v1/me and the pass-through paths), whatever their outcome. */
  apiRequests = 0;
  /** Of those, answered 304 Not Modified from a matching If-None-Match. */
  notModifiedResponses = 0;
  /** API requests whose client went away before the answer (cancellation). */
  abortedApiRequests = 0;
  readonly apiLog: FakeApiRequestRecord[] = [];
  /** Player commands Spotify accepted, e.g. "PUT /v1/me/player/pause". */
  readonly playerCommands: string[] = [];
  catalog!: FakeSpotifyCatalog;
  /** Listening history, newest first. */
  history!: Array<Record<string, unknown>>;
  player!: FakeSpotifyPlayer;
  /** @internal */ readonly apiFaults: ApiFault[] = [];

  /** The next API request answers 429 with this Retry-After, as Spotify does past its rolling limit. */
  rateLimitNext(retryAfterSeconds: number): void {
    this.apiFaults.push({ kind: 'rate-limit', retryAfterSeconds });
  }

  /** The next API request answers `status` (default 502). */
  failNextApiRequest(status = 502): void {
    this.apiFaults.push({ kind: 'status', status });
  }

  /** The next API request is never answered, for timeout and cancellation tests. */
  hangNextApiRequest(): void {
    this.apiFaults.push({ kind: 'hang' });
  }

  /** The next token request answers this OAuth error as JSON with `status` (default 400). */
  errorNextTokenRequest(error: string, description = 'The request failed.', status = 400): void {
    this.faults.push({ kind: 'error', status, error, description });
  }
}

export interface FakeSpotify {
  /** Base URL, e.g. http://127.0.0.1:54321 (plays both accounts.spotify.com and api.spotify.com). */
  url: string;
  clientId: string;
  clientSecret: string;
  /** LATCHKEY_SPOTIFY_* endpoint overrides pointing at this fake. */
  env: Record<string, string>;
  /** `env` plus LATCHKEY_SPOTIFY_CLIENT_ID and _CLIENT_SECRET: a gateway whose Spotify app is this fake's. */
  appEnv: Record<string, string>;
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

  const env = {
    LATCHKEY_SPOTIFY_AUTHORIZATION_URL: `${url}/authorize`,
    LATCHKEY_SPOTIFY_TOKEN_URL: `${url}/api/token`,
    LATCHKEY_SPOTIFY_API_URL: url,
  };
  return {
    url,
    clientId,
    clientSecret,
    env,
    appEnv: { ...env, LATCHKEY_SPOTIFY_CLIENT_ID: clientId, LATCHKEY_SPOTIFY_CLIENT_SECRET: clientSecret },
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
  if (await handleWebApi(state, url, method, req, res)) {
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
  const known = new Set((spotify.oauth?.scopes ?? []).map((definition) => definition.scope));
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
  state.recordTokenRequest({
    grantType,
    accept: req.headers.accept,
    contentType: req.headers['content-type'],
    clientAuth: auth.method,
    hasCodeVerifier: params.has('code_verifier'),
    hasRedirectUri: params.has('redirect_uri'),
  });

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
  if (grantType === 'client_credentials') {
    answerClientCredentials(app, state, auth, res);
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

/**
 * Spotify's client credentials flow: the app's own token, for endpoints without user data. It needs
 * the client secret, ignores `scope`, and answers with no refresh token and no scope.
 */
function answerClientCredentials(app: AppConfig, state: FakeSpotifyState, auth: ClientAuth, res: ServerResponse): void {
  if (auth.secretValid !== true) {
    sendTokenJson(res, 400, { error: 'invalid_client', error_description: 'Invalid client secret' });
    return;
  }
  const token = issueToken(app, state, [], false, 'client_credentials');
  token.refreshToken = '';
  token.refreshActive = false;
  sendTokenJson(res, 200, { access_token: token.accessToken, token_type: 'Bearer', expires_in: ACCESS_TOKEN_LIFETIME_SECONDS });
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
  const token = authenticateApi(state, req, res);
  if (!token) return;
  sendData(state, req, res, profileFor(state.user, token.scopes));
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
// The Web API paths pass-through calls: top items, listening history (before/after cursors), what
// plays now (204 when nothing), playlists, search, and the player commands. A small catalog stands
// in for Spotify's. Scopes are enforced as Spotify does (403 "Insufficient client scope"), GETs
// carry an ETag (If-None-Match → 304), and queued faults give 429 with Retry-After, 5xx, or no
// answer at all.

export interface FakeSpotifyPlayer {
  /** The active device; null when none is (player commands then answer 404 NO_ACTIVE_DEVICE). */
  device: { id: string; name: string; type: string } | null;
  isPlaying: boolean;
  /** URI of the current track; null when nothing plays (currently-playing answers 204). */
  itemUri: string | null;
  contextUri: string | null;
  progressMs: number;
  queue: string[];
}

export interface FakeApiRequestRecord {
  method: string;
  path: string;
  status: number;
  conditional: boolean;
}

type ApiFault = { kind: 'rate-limit'; retryAfterSeconds: number } | { kind: 'status'; status: number } | { kind: 'hang' };

type Json = Record<string, unknown>;

const API = 'https://api.spotify.com/v1';
const OPEN = 'https://open.spotify.com';

function artist(id: string, name: string, genres: string[], popularity: number, followers: number): Json {
  return {
    external_urls: { spotify: `${OPEN}/artist/${id}` },
    followers: { href: null, total: followers },
    genres,
    href: `${API}/artists/${id}`,
    id,
    images: [{ url: `https://i.scdn.co/image/artist-${id}`, height: 640, width: 640 }],
    name,
    popularity,
    type: 'artist',
    uri: `spotify:artist:${id}`,
  };
}

function simplified(artistJson: Json): Json {
  const { followers: _f, genres: _g, images: _i, popularity: _p, ...rest } = artistJson;
  return rest;
}

function album(id: string, name: string, artists: Json[], releaseDate: string, totalTracks: number): Json {
  return {
    album_type: 'album',
    total_tracks: totalTracks,
    available_markets: ['SE', 'US'],
    external_urls: { spotify: `${OPEN}/album/${id}` },
    href: `${API}/albums/${id}`,
    id,
    images: [
      { url: `https://i.scdn.co/image/album-${id}-640`, height: 640, width: 640 },
      { url: `https://i.scdn.co/image/album-${id}-300`, height: 300, width: 300 },
    ],
    name,
    release_date: releaseDate,
    release_date_precision: 'day',
    type: 'album',
    uri: `spotify:album:${id}`,
    artists: artists.map(simplified),
  };
}

function track(id: string, name: string, albumJson: Json, artists: Json[], number: number, durationMs: number, popularity: number): Json {
  return {
    album: albumJson,
    artists: artists.map(simplified),
    available_markets: ['SE', 'US'],
    disc_number: 1,
    duration_ms: durationMs,
    explicit: false,
    external_ids: { isrc: `SE${id.slice(0, 10).toUpperCase()}` },
    external_urls: { spotify: `${OPEN}/track/${id}` },
    href: `${API}/tracks/${id}`,
    id,
    is_local: false,
    name,
    popularity,
    preview_url: null,
    track_number: number,
    type: 'track',
    uri: `spotify:track:${id}`,
  };
}

export interface FakeSpotifyCatalog {
  artists: Json[];
  albums: Json[];
  tracks: Json[];
  playlists: Json[];
}

/** @internal */
export function seedCatalog(state: FakeSpotifyState): void {
  const abba = artist('0LcJLqbBmaGUft1e9Mm8HV', 'ABBA', ['europop', 'swedish pop'], 82, 10_500_000);
  const robyn = artist('6UE7nl9mha6s8z0wFQFIZ2', 'Robyn', ['dance pop', 'electropop', 'swedish pop'], 65, 1_400_000);
  const lykke = artist('4NZvixzsSefsNiIqXn0NDe', 'Lykke Li', ['indie pop', 'swedish indie pop'], 62, 1_100_000);
  const arrival = album('1M4anG49aEs4YimBdj96Oy', 'Arrival', [abba], '1976-10-11', 10);
  const bodyTalk = album('7q5CBMmb38ngFkpKTMn1p8', 'Body Talk', [robyn], '2010-11-22', 15);
  const wounded = album('2uDTi1PlpSpvAv7IRAoAEU', 'Wounded Rhymes', [lykke], '2011-03-01', 10);
  const tracks = [
    track('0GjEhVFGZW8afUYGChu3Rr', 'Dancing Queen', arrival, [abba], 2, 230_400, 84),
    track('3oEkrIfXfSh9zGnE7eBzSV', 'Knowing Me, Knowing You', arrival, [abba], 5, 242_000, 70),
    track('2kmz5ArxwWgBgGwZkM5bMo', 'Money, Money, Money', arrival, [abba], 3, 185_600, 74),
    track('0t7fVeEJxO2Xi4H2K5Svc9', 'Dancing On My Own', bodyTalk, [robyn], 1, 288_000, 73),
    track('6Q3K9gVUZRMZqZKrXovbM2', 'Call Your Girlfriend', bodyTalk, [robyn], 2, 232_000, 66),
    track('1ClXH7lGONSYOEkSKa1rLB', 'Hang With Me', bodyTalk, [robyn], 4, 260_000, 55),
    track('5ixTVVHDRV4eSsZvjHOd2x', 'I Follow Rivers', wounded, [lykke], 2, 281_000, 76),
    track('2hYxgo1T3bS8dYqqaYIQdN', 'Sadness Is a Blessing', wounded, [lykke], 7, 244_000, 52),
  ];
  const user = state.user;
  const owner = { display_name: user.display_name, external_urls: user.external_urls, href: user.href, id: user.id, type: 'user', uri: user.uri };
  const playlist = (id: string, name: string, description: string, isPublic: boolean, items: Json[]) => ({
    collaborative: false,
    description,
    external_urls: { spotify: `${OPEN}/playlist/${id}` },
    href: `${API}/playlists/${id}`,
    id,
    images: [{ url: `https://mosaic.scdn.co/640/${id}`, height: 640, width: 640 }],
    name,
    owner,
    public: isPublic,
    snapshot_id: `MTAsZjFhNjk${id.slice(0, 6)}`,
    tracks: { href: `${API}/playlists/${id}/tracks`, total: items.length },
    type: 'playlist',
    uri: `spotify:playlist:${id}`,
    /** @internal the full list, served by GET /v1/playlists/{id} */
    entries: items,
  });
  const playlists = [
    playlist('3cEYpjA9oz9GiPac4AsH4n', 'Swedish Pop Essentials', 'ABBA to Robyn.', true, tracks.slice(0, 6)),
    playlist('37i9dQZF1DX4sWSpwq3LiO', 'Late Night (private)', 'Only for me.', false, tracks.slice(5)),
  ];
  state.catalog = { artists: [abba, robyn, lykke], albums: [arrival, bodyTalk, wounded], tracks, playlists };
  // Listening history, newest first, a few minutes apart.
  const start = Date.parse('2026-01-15T20:00:00.000Z');
  state.history = tracks.map((item, index) => ({ track: item, played_at: new Date(start - index * 240_000).toISOString(), context: { type: 'album', uri: (item['album'] as Json)['uri'], href: (item['album'] as Json)['href'], external_urls: (item['album'] as Json)['external_urls'] } }));
  state.player = {
    device: { id: '0d1841b0976bae2a3a310dd74c0f3df354899bc8', name: 'Kitchen speaker', type: 'Speaker' },
    isPlaying: true,
    itemUri: String(tracks[3]!['uri']),
    contextUri: String(bodyTalk['uri']),
    progressMs: 44_272,
    queue: [],
  };
}

/** Routes the Web API paths; false when the path is not one of them. */
async function handleWebApi(state: FakeSpotifyState, url: URL, method: string, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const path = url.pathname;
  const top = /^\/v1\/me\/top\/(tracks|artists)$/.exec(path);
  const playlist = /^\/v1\/playlists\/([^/]+)$/.exec(path);
  let route: ((token: FakeSpotifyToken) => void | Promise<void>) | undefined;
  if (method === 'GET' && top) route = (token) => topItems(state, token, top[1] as 'tracks' | 'artists', url, req, res);
  else if (method === 'GET' && path === '/v1/me/player/recently-played') route = (token) => recentlyPlayed(state, token, url, req, res);
  else if (method === 'GET' && path === '/v1/me/player/currently-playing') route = (token) => currentlyPlaying(state, token, req, res);
  else if (method === 'GET' && path === '/v1/me/playlists') route = (token) => myPlaylists(state, token, url, req, res);
  else if (method === 'GET' && playlist) route = (token) => getPlaylist(state, token, decodeURIComponent(playlist[1]!), req, res);
  else if (method === 'GET' && path === '/v1/search') route = (token) => search(state, token, url, req, res);
  else if (method === 'PUT' && path === '/v1/me/player/play') route = (token) => play(state, token, url, req, res);
  else if (method === 'PUT' && path === '/v1/me/player/pause') route = (token) => playerCommand(state, token, req, res, () => (state.player.isPlaying = false));
  else if (method === 'POST' && path === '/v1/me/player/next') route = (token) => playerCommand(state, token, req, res, () => skip(state));
  else if (method === 'POST' && path === '/v1/me/player/queue') route = (token) => queue(state, token, url, req, res);
  if (!route) return false;
  const token = authenticateApi(state, req, res);
  if (token) await route(token);
  return true;
}

/** Counts the request, applies a queued fault and checks the token; undefined when it answered. */
function authenticateApi(state: FakeSpotifyState, req: IncomingMessage, res: ServerResponse): FakeSpotifyToken | undefined {
  state.apiRequests += 1;
  res.once('close', () => {
    if (!res.writableFinished) state.abortedApiRequests += 1;
  });
  const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  const token = match?.[1] ? state.findByAccessToken(match[1]) : undefined;
  if (!match?.[1] || !token || !token.active || token.expiresAt <= Date.now()) {
    const message = !match?.[1] ? 'No token provided' : token && token.active ? 'The access token expired' : 'Invalid access token';
    sendApiError(res, 401, message);
    logApi(state, req, 401);
    return undefined;
  }
  const fault = state.apiFaults.shift();
  if (fault?.kind === 'hang') return undefined;
  if (fault?.kind === 'rate-limit') {
    res.writeHead(429, { 'content-type': 'application/json; charset=utf-8', 'retry-after': String(fault.retryAfterSeconds) });
    res.end(JSON.stringify({ error: { status: 429, message: 'API rate limit exceeded' } }));
    logApi(state, req, 429);
    return undefined;
  }
  if (fault?.kind === 'status') {
    sendApiError(res, fault.status, 'Server error');
    logApi(state, req, fault.status);
    return undefined;
  }
  return token;
}

function logApi(state: FakeSpotifyState, req: IncomingMessage, status: number): void {
  state.apiLog.push({ method: req.method ?? 'GET', path: req.url ?? '/', status, conditional: req.headers['if-none-match'] !== undefined });
}

function requireScope(state: FakeSpotifyState, token: FakeSpotifyToken, req: IncomingMessage, res: ServerResponse, ...anyOf: string[]): boolean {
  if (anyOf.some((scope) => token.scopes.includes(scope))) return true;
  sendApiError(res, 403, 'Insufficient client scope');
  logApi(state, req, 403);
  return false;
}

function badRequest(state: FakeSpotifyState, req: IncomingMessage, res: ServerResponse, message: string): void {
  sendApiError(res, 400, message);
  logApi(state, req, 400);
}

/** JSON with a strong ETag; a matching If-None-Match answers 304 without a body. */
function sendData(state: FakeSpotifyState, req: IncomingMessage, res: ServerResponse, body: unknown): void {
  const text = JSON.stringify(body);
  const etag = `"${createHash('sha256').update(text).digest('hex').slice(0, 32)}"`;
  const headers = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'private, max-age=0', etag };
  if (req.headers['if-none-match'] === etag) {
    state.notModifiedResponses += 1;
    logApi(state, req, 304);
    res.writeHead(304, headers).end();
    return;
  }
  logApi(state, req, 200);
  res.writeHead(200, headers).end(text);
}

function noContent(state: FakeSpotifyState, req: IncomingMessage, res: ServerResponse): void {
  logApi(state, req, 204);
  res.writeHead(204).end();
}

function pageParams(url: URL, maxOffset = 100_000): { limit: number; offset: number } | string {
  const limit = Number(url.searchParams.get('limit') ?? 20);
  const offset = Number(url.searchParams.get('offset') ?? 0);
  if (!Number.isInteger(limit) || limit < 1 || limit > 50) return 'Invalid limit';
  if (!Number.isInteger(offset) || offset < 0 || offset > maxOffset) return 'Invalid offset';
  return { limit, offset };
}

function paging(url: URL, all: unknown[], limit: number, offset: number): Json {
  const link = (at: number) => {
    const next = new URL(`${API}${url.pathname.slice('/v1'.length)}`);
    for (const [key, value] of url.searchParams) next.searchParams.set(key, value);
    next.searchParams.set('offset', String(at));
    next.searchParams.set('limit', String(limit));
    return next.toString();
  };
  return {
    href: link(offset),
    items: all.slice(offset, offset + limit),
    limit,
    next: offset + limit < all.length ? link(offset + limit) : null,
    offset,
    previous: offset > 0 ? link(Math.max(0, offset - limit)) : null,
    total: all.length,
  };
}

function topItems(state: FakeSpotifyState, token: FakeSpotifyToken, kind: 'tracks' | 'artists', url: URL, req: IncomingMessage, res: ServerResponse): void {
  if (!requireScope(state, token, req, res, 'user-top-read')) return;
  const params = pageParams(url);
  if (typeof params === 'string') return badRequest(state, req, res, params);
  const range = url.searchParams.get('time_range') ?? 'medium_term';
  if (!['short_term', 'medium_term', 'long_term'].includes(range)) return badRequest(state, req, res, 'Invalid time range');
  const items = kind === 'tracks' ? [...state.catalog.tracks] : [...state.catalog.artists];
  items.sort((a, b) => Number(b['popularity']) - Number(a['popularity']));
  if (range === 'short_term') items.reverse();
  sendData(state, req, res, paging(url, items, params.limit, params.offset));
}

function recentlyPlayed(state: FakeSpotifyState, token: FakeSpotifyToken, url: URL, req: IncomingMessage, res: ServerResponse): void {
  if (!requireScope(state, token, req, res, 'user-read-recently-played')) return;
  const limit = Number(url.searchParams.get('limit') ?? 20);
  if (!Number.isInteger(limit) || limit < 1 || limit > 50) return badRequest(state, req, res, 'Invalid limit');
  const before = url.searchParams.get('before');
  const after = url.searchParams.get('after');
  if (before !== null && after !== null) return badRequest(state, req, res, 'Only one of before and after may be given');
  const playedAt = (entry: Json) => Date.parse(String(entry['played_at']));
  let candidates = state.history;
  if (before !== null) candidates = candidates.filter((entry) => playedAt(entry) < Number(before));
  if (after !== null) candidates = candidates.filter((entry) => playedAt(entry) > Number(after));
  const items = after !== null ? candidates.slice(-limit) : candidates.slice(0, limit);
  const cursors = items.length > 0 ? { after: String(playedAt(items[0]!)), before: String(playedAt(items.at(-1)!)) } : null;
  const older = cursors !== null && state.history.some((entry) => playedAt(entry) < Number(cursors.before));
  sendData(state, req, res, {
    items,
    next: older ? `${API}/me/player/recently-played?before=${cursors!.before}&limit=${limit}` : null,
    cursors,
    limit,
    href: `${API}/me/player/recently-played?limit=${limit}`,
  });
}

function trackByUri(state: FakeSpotifyState, uri: string | null): Json | undefined {
  return uri === null ? undefined : state.catalog.tracks.find((candidate) => candidate['uri'] === uri);
}

function currentlyPlaying(state: FakeSpotifyState, token: FakeSpotifyToken, req: IncomingMessage, res: ServerResponse): void {
  if (!requireScope(state, token, req, res, 'user-read-currently-playing', 'user-read-playback-state')) return;
  const item = trackByUri(state, state.player.itemUri);
  if (!item) return noContent(state, req, res);
  sendData(state, req, res, {
    timestamp: Date.parse('2026-01-15T20:05:00.000Z'),
    context: state.player.contextUri ? { type: state.player.contextUri.split(':')[1], uri: state.player.contextUri, href: null, external_urls: {} } : null,
    progress_ms: state.player.progressMs,
    item,
    currently_playing_type: 'track',
    actions: { disallows: { resuming: state.player.isPlaying } },
    is_playing: state.player.isPlaying,
  });
}

function withoutEntries(playlist: Json): Json {
  const { entries: _entries, ...rest } = playlist;
  return rest;
}

function myPlaylists(state: FakeSpotifyState, token: FakeSpotifyToken, url: URL, req: IncomingMessage, res: ServerResponse): void {
  const params = pageParams(url);
  if (typeof params === 'string') return badRequest(state, req, res, params);
  // Private playlists only with playlist-read-private.
  const visible = state.catalog.playlists.filter((playlist) => playlist['public'] === true || token.scopes.includes('playlist-read-private'));
  sendData(state, req, res, paging(url, visible.map(withoutEntries), params.limit, params.offset));
}

function getPlaylist(state: FakeSpotifyState, token: FakeSpotifyToken, id: string, req: IncomingMessage, res: ServerResponse): void {
  const playlist = state.catalog.playlists.find((candidate) => candidate['id'] === id);
  if (!playlist || (playlist['public'] !== true && !token.scopes.includes('playlist-read-private'))) {
    sendApiError(res, 404, 'Resource not found');
    logApi(state, req, 404);
    return;
  }
  const entries = (playlist['entries'] as Json[]).map((item) => ({
    added_at: '2026-01-01T12:00:00Z',
    added_by: { id: state.user.id, type: 'user', uri: state.user.uri },
    is_local: false,
    track: item,
  }));
  const url = new URL(`http://fake/v1/playlists/${id}/tracks`);
  sendData(state, req, res, { ...withoutEntries(playlist), followers: { href: null, total: 12 }, tracks: paging(url, entries, 100, 0) });
}

function search(state: FakeSpotifyState, _token: FakeSpotifyToken, url: URL, req: IncomingMessage, res: ServerResponse): void {
  const query = (url.searchParams.get('q') ?? '').trim().toLowerCase();
  if (!query) return badRequest(state, req, res, 'No search query');
  const types = (url.searchParams.get('type') ?? '').split(',').filter(Boolean);
  const known = ['track', 'artist', 'album', 'playlist'];
  if (types.length === 0 || types.some((type) => !known.includes(type))) return badRequest(state, req, res, 'Bad search type field');
  const params = pageParams(url, 1000);
  if (typeof params === 'string') return badRequest(state, req, res, params);
  const matches = (item: Json) => String(item['name']).toLowerCase().includes(query) || JSON.stringify(item['artists'] ?? []).toLowerCase().includes(query);
  const body: Json = {};
  const sources: Record<string, Json[]> = {
    track: state.catalog.tracks,
    artist: state.catalog.artists,
    album: state.catalog.albums,
    playlist: state.catalog.playlists.filter((playlist) => playlist['public'] === true).map(withoutEntries),
  };
  for (const type of types) {
    const pageUrl = new URL(url);
    pageUrl.searchParams.set('type', type);
    body[`${type}s`] = paging(pageUrl, sources[type]!.filter(matches), params.limit, params.offset);
  }
  sendData(state, req, res, body);
}

/** The checks Spotify makes before any player command: scope, Premium, an active device. */
function playerReady(state: FakeSpotifyState, token: FakeSpotifyToken, req: IncomingMessage, res: ServerResponse): boolean {
  if (!requireScope(state, token, req, res, 'user-modify-playback-state')) return false;
  if (state.user.product !== 'premium') {
    res.writeHead(403, { 'content-type': 'application/json; charset=utf-8' }).end(
      JSON.stringify({ error: { status: 403, message: 'Player command failed: Premium required', reason: 'PREMIUM_REQUIRED' } }),
    );
    logApi(state, req, 403);
    return false;
  }
  if (!state.player.device) {
    res.writeHead(404, { 'content-type': 'application/json; charset=utf-8' }).end(
      JSON.stringify({ error: { status: 404, message: 'Player command failed: No active device found', reason: 'NO_ACTIVE_DEVICE' } }),
    );
    logApi(state, req, 404);
    return false;
  }
  return true;
}

async function playerCommand(state: FakeSpotifyState, token: FakeSpotifyToken, req: IncomingMessage, res: ServerResponse, apply: () => void): Promise<void> {
  await readBody(req);
  if (!playerReady(state, token, req, res)) return;
  apply();
  state.playerCommands.push(`${req.method} ${new URL(req.url ?? '/', 'http://x').pathname}`);
  noContent(state, req, res);
}

function skip(state: FakeSpotifyState): void {
  const queued = state.player.queue.shift();
  if (queued) {
    state.player.itemUri = queued;
  } else {
    const index = state.catalog.tracks.findIndex((candidate) => candidate['uri'] === state.player.itemUri);
    state.player.itemUri = String(state.catalog.tracks[(index + 1) % state.catalog.tracks.length]!['uri']);
  }
  state.player.progressMs = 0;
  state.player.isPlaying = true;
}

async function play(state: FakeSpotifyState, token: FakeSpotifyToken, url: URL, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const text = await readBody(req);
  if (!playerReady(state, token, req, res)) return;
  let body: Json = {};
  if (text) {
    try {
      body = JSON.parse(text) as Json;
    } catch {
      return badRequest(state, req, res, 'Malformed json');
    }
  }
  const uris = Array.isArray(body['uris']) ? (body['uris'] as unknown[]).map(String) : [];
  if (uris.length > 0) {
    if (uris.some((uri) => !trackByUri(state, uri))) return badRequest(state, req, res, 'Invalid track uri');
    state.player.itemUri = uris[0]!;
    state.player.contextUri = null;
  } else if (typeof body['context_uri'] === 'string') {
    const context = body['context_uri'];
    const first = state.catalog.tracks.find((candidate) => (candidate['album'] as Json)['uri'] === context)
      ?? ((state.catalog.playlists.find((candidate) => candidate['uri'] === context)?.['entries'] as Json[] | undefined)?.[0]);
    if (!first) return badRequest(state, req, res, 'Invalid context uri');
    state.player.itemUri = String(first['uri']);
    state.player.contextUri = context;
  }
  if (typeof body['position_ms'] === 'number') state.player.progressMs = body['position_ms'];
  state.player.isPlaying = true;
  state.playerCommands.push(`PUT /v1/me/player/play${url.search}`);
  noContent(state, req, res);
}

async function queue(state: FakeSpotifyState, token: FakeSpotifyToken, url: URL, req: IncomingMessage, res: ServerResponse): Promise<void> {
  await readBody(req);
  if (!playerReady(state, token, req, res)) return;
  const uri = url.searchParams.get('uri');
  if (!uri || !trackByUri(state, uri)) return badRequest(state, req, res, 'Invalid base62 id');
  state.player.queue.push(uri);
  state.playerCommands.push(`POST /v1/me/player/queue`);
  noContent(state, req, res);
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

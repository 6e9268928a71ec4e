// A local stand-in for github.com's OAuth endpoints and api.github.com, reproducing GitHub's
// documented behaviour closely enough that the gateway's GitHub code can be tested against it:
// form-encoded token answers unless `Accept: application/json`, errors with HTTP 200, comma-separated
// granted scopes, single-use codes bound to client, redirect URI and PKCE challenge, expiring GitHub
// App user tokens with rotating refresh tokens, GET /user with GitHub's headers, and the grant
// revocation API. One server plays both hosts: their paths do not collide.
// The REST API paths pass-through calls are there too (users, repositories, issues, pull requests,
// comments, stars), seeded from @octokit/fixtures recordings, with ETag/304 (free of quota), Link
// pagination, x-ratelimit-* per token, 401 for unknown or expired tokens, and queued faults: 403
// secondary and primary rate limits, 5xx, and requests that never get an answer.

import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { FakeTokenLedger } from './fake-token-ledger.js';

const ACCESS_TOKEN_LIFETIME_SECONDS = 28_800;
const REFRESH_TOKEN_LIFETIME_SECONDS = 15_897_600;
const CODE_LIFETIME_MS = 10 * 60 * 1000;
const ERROR_DOCS = 'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors';

export interface FakeGitHubUser {
  id: number;
  login: string;
  name: string | null;
  email: string | null;
  [field: string]: unknown;
}

export interface FakeGitHubOptions {
  clientId?: string;
  clientSecret?: string;
  /**
   * The app's registered callback URL. GitHub accepts a redirect_uri with the same host and port (any
   * port for loopback) whose path is the callback's path or below it. Without it any redirect_uri is
   * accepted.
   */
  callbackUrl?: string;
  /** A GitHub App with expiring user tokens (default true); false behaves like an OAuth app. */
  expiringTokens?: boolean;
  /** Answer the authorize endpoint with error=access_denied, as when the user cancels. */
  denyAuthorization?: boolean;
  /**
   * What the token response reports as granted, from what was requested. Default: the requested
   * scopes. (A real GitHub App answers scope "" since its permissions come from its settings.)
   */
  grantScopes?: (requested: string[]) => string[];
  /** Fields merged over the default user returned by GET /user. */
  user?: Partial<FakeGitHubUser>;
}

export interface FakeGitHubToken {
  accessToken: string;
  refreshToken?: string;
  clientId: string;
  scopes: string[];
  issuedAt: number;
  /** Epoch ms; undefined for non-expiring OAuth-app tokens. */
  expiresAt?: number;
  refreshExpiresAt?: number;
  /** False once invalidated by a test, rotated away by a refresh, or revoked. */
  active: boolean;
  refreshActive: boolean;
  grant: 'authorization_code' | 'refresh_token';
}

type TokenFault =
  | { kind: 'status'; status: number }
  | { kind: 'hang' }
  | { kind: 'error'; error: string; description: string };

interface IssuedCode {
  clientId: string;
  redirectUri: string;
  redirectUriGiven: boolean;
  scopes: string[];
  codeChallenge?: string;
  expiresAt: number;
  used: boolean;
}

export class FakeGitHubState extends FakeTokenLedger<FakeGitHubToken, TokenFault> {
  authorizeRequests = 0;
  userRequests = 0;
  revocationRequests = 0;
  denyAuthorization: boolean;
  expiringTokens: boolean;
  user: FakeGitHubUser;

  /** @internal */ readonly codes = new Map<string, IssuedCode>();
  /** @internal */ readonly rateLimitUsed = new Map<string, number>();

  /** The API answers 401 to every token, new ones included (an app whose access was withdrawn). */
  rejectEveryToken = false;
  /** Token-authenticated REST API requests (GET /user and the pass-through paths), whatever their outcome. */
  apiRequests = 0;
  /** Of those, answered 304 Not Modified (free: they do not count against the rate limit). */
  notModifiedResponses = 0;
  /** API requests whose client went away before the answer (cancellation). */
  abortedApiRequests = 0;
  readonly apiLog: FakeApiRequestRecord[] = [];
  /** Profiles served by GET /users/{login}, by lower-case login. */
  readonly users = new Map<string, Record<string, unknown>>();
  /** Repositories by lower-case "owner/name": octokit-fixture-org/hello-world and octokit-fixture-org/paginate-issues. */
  readonly repositories = new Map<string, FakeRepository>();
  /** Lower-case "owner/name" of the repositories the user stars. */
  readonly starred = new Set<string>();
  /** @internal */ commentCount = 0;
  /** @internal */ readonly apiFaults: ApiFault[] = [];

  constructor(options: FakeGitHubOptions) {
    super();
    this.denyAuthorization = options.denyAuthorization ?? false;
    this.expiringTokens = options.expiringTokens ?? true;
    this.user = { ...defaultUser(), ...options.user } as FakeGitHubUser;
    seedWorld(this);
  }

  /** Requests counted against this token's hourly quota (304s are free). */
  quotaUsed(accessToken: string): number {
    return this.rateLimitUsed.get(accessToken) ?? 0;
  }

  /** The next API request gets GitHub's 403 secondary rate limit, with `retry-after` when given. */
  secondaryRateLimitNext(retryAfterSeconds?: number): void {
    this.apiFaults.push({ kind: 'secondary', retryAfterSeconds });
  }

  /** The next API request gets the 403 of an exhausted primary limit (x-ratelimit-remaining: 0). */
  exhaustRateLimitNext(resetInSeconds = 3600): void {
    this.apiFaults.push({ kind: 'primary', resetInSeconds });
  }

  /** The next API request answers `status` (default 502). */
  failNextApiRequest(status = 502): void {
    this.apiFaults.push({ kind: 'status', status });
  }

  /** The next API request is never answered, for timeout and cancellation tests. */
  hangNextApiRequest(): void {
    this.apiFaults.push({ kind: 'hang' });
  }

  /** The next API request is redirected (GitHub answers 301 for a renamed repository). */
  redirectNextApiRequest(location: string, status = 301): void {
    this.apiFaults.push({ kind: 'redirect', location, status });
  }

  /**
   * The next token-authenticated API request gets this answer, built from the request as GitHub
   * received it (for proxy tests: what headers arrived, an API that echoes the token, odd bodies).
   */
  respondNextApiRequest(respond: (request: IncomingMessage, token: FakeGitHubToken) => FakeRawAnswer): void {
    this.apiFaults.push({ kind: 'respond', respond });
  }

  /** The next token request answers this OAuth error, GitHub-style (HTTP 200 with an error body). */
  errorNextTokenRequest(error: string, description = 'The request failed.'): void {
    this.faults.push({ kind: 'error', error, description });
  }
}

export interface FakeGitHub {
  /** Base URL, e.g. http://127.0.0.1:54321 (plays both github.com and api.github.com). */
  url: string;
  clientId: string;
  clientSecret: string;
  /** LATCHKEY_GITHUB_* endpoint overrides pointing at this fake. */
  env: Record<string, string>;
  /** `env` plus LATCHKEY_GITHUB_CLIENT_ID and _CLIENT_SECRET: a gateway whose Github app is this fake's. */
  appEnv: Record<string, string>;
  state: FakeGitHubState;
  close(): Promise<void>;
}

export async function startFakeGitHub(options: FakeGitHubOptions = {}): Promise<FakeGitHub> {
  const clientId = options.clientId ?? 'Iv1.fake0github0client';
  const clientSecret = options.clientSecret ?? 'fake-github-client-secret';
  const state = new FakeGitHubState(options);
  const app: AppConfig = {
    clientId,
    clientSecret,
    callbackUrl: options.callbackUrl,
    grantScopes: options.grantScopes ?? ((requested) => requested),
  };

  const server = createServer((req, res) => {
    handleRequest(app, state, req, res).catch(() => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'text/plain' }).end('fake-github internal error');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  const env = {
    LATCHKEY_GITHUB_AUTHORIZATION_URL: `${url}/login/oauth/authorize`,
    LATCHKEY_GITHUB_TOKEN_URL: `${url}/login/oauth/access_token`,
    LATCHKEY_GITHUB_REVOCATION_URL: `${url}/applications/{client_id}/token`,
    LATCHKEY_GITHUB_API_URL: url,
  };
  return {
    url,
    clientId,
    clientSecret,
    env,
    appEnv: { ...env, LATCHKEY_GITHUB_CLIENT_ID: clientId, LATCHKEY_GITHUB_CLIENT_SECRET: clientSecret },
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
  callbackUrl: string | undefined;
  grantScopes: (requested: string[]) => string[];
}

async function handleRequest(
  app: AppConfig,
  state: FakeGitHubState,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://fake-github.invalid');
  const method = req.method ?? 'GET';

  if (url.pathname === '/login/oauth/authorize' && method === 'GET') {
    handleAuthorize(app, state, url, res);
    return;
  }
  if (url.pathname === '/login/oauth/access_token' && method === 'POST') {
    await handleToken(app, state, url, req, res);
    return;
  }
  if (!req.headers['user-agent']) {
    sendUserAgentRequired(res);
    return;
  }
  if (url.pathname === '/user' && method === 'GET') {
    handleUser(state, req, res);
    return;
  }
  const revocation = /^\/applications\/([^/]+)\/(grant|token)$/.exec(url.pathname);
  if (revocation && method === 'DELETE') {
    await handleRevocation(app, state, decodeURIComponent(revocation[1] ?? ''), revocation[2] as 'grant' | 'token', req, res);
    return;
  }
  if (await handleRestApi(state, url, method, req, res)) {
    return;
  }
  sendApiJson(res, 404, {
    message: 'Not Found',
    documentation_url: 'https://docs.github.com/rest',
    status: '404',
  });
}

// ---------------------------------------------------------------------------------------------
// GET /login/oauth/authorize

function handleAuthorize(app: AppConfig, state: FakeGitHubState, url: URL, res: ServerResponse): void {
  state.authorizeRequests += 1;
  const params = url.searchParams;
  if (params.get('client_id') !== app.clientId) {
    sendHtml(res, 404, 'Not Found');
    return;
  }
  const redirectUriParam = params.get('redirect_uri');
  const redirectUri = redirectUriParam ?? app.callbackUrl;
  if (!redirectUri) {
    sendHtml(res, 400, 'The redirect_uri is missing and the application has no callback URL.');
    return;
  }
  const stateParam = params.get('state');
  if (redirectUriParam !== null && app.callbackUrl && !matchesCallback(redirectUriParam, app.callbackUrl)) {
    // GitHub sends the user to the registered callback URL with the error.
    redirectWith(res, app.callbackUrl, {
      error: 'redirect_uri_mismatch',
      error_description: 'The redirect_uri MUST match the registered callback URL for this application.',
      error_uri: 'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/#redirect-uri-mismatch',
      state: stateParam,
    });
    return;
  }
  const codeChallenge = params.get('code_challenge') ?? undefined;
  if (codeChallenge !== undefined && params.get('code_challenge_method') !== 'S256') {
    redirectWith(res, redirectUri, {
      error: 'invalid_request',
      error_description: 'Only the S256 code_challenge_method is supported.',
      state: stateParam,
    });
    return;
  }
  if (state.denyAuthorization) {
    redirectWith(res, redirectUri, {
      error: 'access_denied',
      error_description: 'The user has denied your application access.',
      error_uri: 'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/#access-denied',
      state: stateParam,
    });
    return;
  }
  const code = randomBytes(10).toString('hex');
  state.codes.set(code, {
    clientId: app.clientId,
    redirectUri,
    redirectUriGiven: redirectUriParam !== null,
    scopes: splitScopes(params.get('scope')),
    codeChallenge,
    expiresAt: Date.now() + CODE_LIFETIME_MS,
    used: false,
  });
  redirectWith(res, redirectUri, { code, state: stateParam });
}

/** GitHub's rule: same host and port (any port on loopback), path equal to or below the callback's. */
function matchesCallback(redirectUri: string, callbackUrl: string): boolean {
  let redirect: URL;
  let callback: URL;
  try {
    redirect = new URL(redirectUri);
    callback = new URL(callbackUrl);
  } catch {
    return false;
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(callback.hostname);
  if (redirect.protocol !== callback.protocol || redirect.hostname !== callback.hostname) {
    return false;
  }
  if (!loopback && redirect.port !== callback.port) {
    return false;
  }
  const base = callback.pathname.endsWith('/') ? callback.pathname : `${callback.pathname}/`;
  return redirect.pathname === callback.pathname || redirect.pathname.startsWith(base);
}

// ---------------------------------------------------------------------------------------------
// POST /login/oauth/access_token

async function handleToken(
  app: AppConfig,
  state: FakeGitHubState,
  url: URL,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  state.tokenRequests += 1;
  const params = await readParams(req, url);
  const basic = parseBasicAuth(req.headers.authorization);
  const grantType = params.get('grant_type') ?? (params.has('refresh_token') ? 'refresh_token' : 'authorization_code');
  state.recordTokenRequest(
    {
      grantType: params.get('grant_type') ?? undefined,
      accept: req.headers.accept,
      contentType: req.headers['content-type'],
      clientAuth: basic ? 'basic' : params.has('client_secret') ? 'body' : 'none',
      hasCodeVerifier: params.has('code_verifier'),
      hasRedirectUri: params.has('redirect_uri'),
    },
    grantType,
  );

  const fault = state.faults.shift();
  if (fault?.kind === 'hang') {
    return;
  }
  if (fault?.kind === 'status') {
    sendHtml(res, fault.status, 'Something went wrong. Please try again.');
    return;
  }
  if (fault?.kind === 'error') {
    sendTokenAnswer(req, res, { error: fault.error, error_description: fault.description, error_uri: ERROR_DOCS });
    return;
  }

  const clientId = basic?.user ?? params.get('client_id');
  const clientSecret = basic?.password ?? params.get('client_secret');
  if (clientId !== app.clientId || clientSecret === null || !safeEqual(clientSecret, app.clientSecret)) {
    sendTokenError(req, res, 'incorrect_client_credentials', 'The client_id and/or client_secret passed are incorrect.');
    return;
  }
  if (grantType === 'refresh_token') {
    answerRefresh(app, state, params, req, res);
    return;
  }
  if (grantType !== 'authorization_code') {
    sendTokenError(req, res, 'unsupported_grant_type', `The grant type ${grantType} is not supported.`);
    return;
  }
  answerCodeExchange(app, state, params, req, res);
}

function answerCodeExchange(
  app: AppConfig,
  state: FakeGitHubState,
  params: URLSearchParams,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  const code = params.get('code') ?? '';
  const issued = state.codes.get(code);
  if (!issued || issued.used || issued.expiresAt < Date.now() || issued.clientId !== app.clientId) {
    sendTokenError(req, res, 'bad_verification_code', 'The code passed is incorrect or expired.');
    return;
  }
  const redirectUri = params.get('redirect_uri');
  if (redirectUri !== null && redirectUri !== issued.redirectUri) {
    sendTokenError(
      req,
      res,
      'redirect_uri_mismatch',
      'The redirect_uri MUST match the registered callback URL for this application.',
    );
    return;
  }
  if (issued.codeChallenge !== undefined) {
    const verifier = params.get('code_verifier');
    // GitHub documents no dedicated PKCE error; a failed verification is reported like a bad code.
    if (verifier === null || s256(verifier) !== issued.codeChallenge) {
      sendTokenError(req, res, 'bad_verification_code', 'The code passed is incorrect or expired.');
      return;
    }
  }
  issued.used = true;
  const token = issueToken(app, state, issued.scopes, 'authorization_code');
  sendTokenAnswer(req, res, tokenAnswer(state, token));
}

function answerRefresh(
  app: AppConfig,
  state: FakeGitHubState,
  params: URLSearchParams,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  const previous = state.findByRefreshToken(params.get('refresh_token') ?? '');
  const usable =
    previous !== undefined &&
    previous.refreshActive &&
    previous.clientId === app.clientId &&
    (previous.refreshExpiresAt === undefined || previous.refreshExpiresAt > Date.now());
  if (!usable) {
    sendTokenError(req, res, 'bad_refresh_token', 'The refresh token passed is incorrect or expired.');
    return;
  }
  // Once a refresh token is used, it and the access token issued with it stop working.
  previous.refreshActive = false;
  previous.active = false;
  const token = issueToken(app, state, previous.scopes, 'refresh_token');
  sendTokenAnswer(req, res, tokenAnswer(state, token));
}

function issueToken(
  app: AppConfig,
  state: FakeGitHubState,
  requestedScopes: string[],
  grant: FakeGitHubToken['grant'],
): FakeGitHubToken {
  const now = Date.now();
  const expiring = state.expiringTokens;
  const token: FakeGitHubToken = {
    accessToken: `${expiring ? 'ghu' : 'gho'}_${randomBase62(36)}`,
    clientId: app.clientId,
    scopes: app.grantScopes(requestedScopes),
    issuedAt: now,
    active: true,
    refreshActive: expiring,
    grant,
  };
  if (expiring) {
    token.refreshToken = `ghr_${randomBase62(76)}`;
    token.expiresAt = now + (state.accessTokenLifetimeSeconds ?? ACCESS_TOKEN_LIFETIME_SECONDS) * 1000;
    token.refreshExpiresAt = now + REFRESH_TOKEN_LIFETIME_SECONDS * 1000;
  }
  state.issuedTokens.push(token);
  return token;
}

function tokenAnswer(state: FakeGitHubState, token: FakeGitHubToken): Record<string, string | number> {
  const scope = token.scopes.join(',');
  if (!state.expiringTokens || token.refreshToken === undefined) {
    return { access_token: token.accessToken, token_type: 'bearer', scope };
  }
  return {
    access_token: token.accessToken,
    expires_in: (state.accessTokenLifetimeSeconds ?? ACCESS_TOKEN_LIFETIME_SECONDS),
    refresh_token: token.refreshToken,
    refresh_token_expires_in: REFRESH_TOKEN_LIFETIME_SECONDS,
    scope,
    token_type: 'bearer',
  };
}

function sendTokenError(req: IncomingMessage, res: ServerResponse, error: string, description: string): void {
  const anchor = error.replace(/_/g, '-');
  sendTokenAnswer(req, res, { error, error_description: description, error_uri: `${ERROR_DOCS}/#${anchor}` });
}

/** GitHub answers JSON only when asked to, and reports token errors with HTTP 200. */
function sendTokenAnswer(req: IncomingMessage, res: ServerResponse, body: Record<string, string | number>): void {
  const wantsJson = (req.headers.accept ?? '').toLowerCase().includes('application/json');
  if (wantsJson) {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
    return;
  }
  const form = new URLSearchParams(Object.entries(body).map(([key, value]) => [key, String(value)]));
  res.writeHead(200, { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', 'cache-control': 'no-store' });
  res.end(form.toString());
}

// ---------------------------------------------------------------------------------------------
// GET /user

function handleUser(state: FakeGitHubState, req: IncomingMessage, res: ServerResponse): void {
  state.userRequests += 1;
  const token = authenticateApi(state, req, res, 'https://docs.github.com/rest/users/users#get-the-authenticated-user');
  if (!token) return;
  sendApiData(state, token, req, res, 200, state.user, {
    'last-modified': new Date(String(state.user['updated_at'] ?? Date.now())).toUTCString(),
  });
}

function isAccessTokenValid(token: FakeGitHubToken): boolean {
  return token.active && (token.expiresAt === undefined || token.expiresAt > Date.now());
}

function badCredentials(): Record<string, string> {
  return { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' };
}

// ---------------------------------------------------------------------------------------------
// DELETE /applications/{client_id}/grant and /applications/{client_id}/token

async function handleRevocation(
  app: AppConfig,
  state: FakeGitHubState,
  pathClientId: string,
  kind: 'grant' | 'token',
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  state.revocationRequests += 1;
  const body = await readBody(req);
  const basic = parseBasicAuth(req.headers.authorization);
  if (!basic || basic.user !== app.clientId || !safeEqual(basic.password, app.clientSecret)) {
    sendApiJson(res, 401, badCredentials());
    return;
  }
  const anchor = kind === 'grant' ? 'delete-an-app-authorization' : 'delete-an-app-token';
  const docs = `https://docs.github.com/rest/apps/oauth-applications#${anchor}`;
  if (pathClientId !== app.clientId) {
    sendApiJson(res, 404, { message: 'Not Found', documentation_url: docs, status: '404' });
    return;
  }
  let accessToken: unknown;
  try {
    accessToken = (JSON.parse(body || '{}') as { access_token?: unknown }).access_token;
  } catch {
    sendApiJson(res, 400, { message: 'Problems parsing JSON', documentation_url: docs, status: '400' });
    return;
  }
  if (typeof accessToken !== 'string' || accessToken.length === 0) {
    sendApiJson(res, 422, {
      message: 'Invalid request.\n\n"access_token" wasn\'t supplied.',
      documentation_url: docs,
      status: '422',
    });
    return;
  }
  const token = state.findByAccessToken(accessToken);
  if (!token || !token.active || token.clientId !== app.clientId) {
    sendApiJson(res, 404, { message: 'Not Found', documentation_url: docs, status: '404' });
    return;
  }
  if (kind === 'token') {
    token.active = false;
  } else {
    // Deleting the grant removes every token the user gave this app.
    for (const issued of state.issuedTokens.filter((candidate) => candidate.clientId === app.clientId)) {
      issued.active = false;
      issued.refreshActive = false;
    }
  }
  res.writeHead(204, apiHeaders(state, token)).end();
}

// ---------------------------------------------------------------------------------------------
// The REST API v3 pass-through uses: users, repositories, issues, pull requests, comments, stars.
// Answers carry GitHub's headers: a weak ETag per body (If-None-Match → 304, which costs no quota),
// x-ratelimit-* per token, and Link pagination pointing at /repositories/{id}/… as GitHub's does.

export interface FakeRepository {
  json: Record<string, unknown> & { id: number; name: string; full_name: string };
  issues: Array<Record<string, unknown> & { number: number; state: string }>;
  pulls: Array<Record<string, unknown> & { number: number; state: string }>;
  comments: Map<number, Array<Record<string, unknown>>>;
}

export interface FakeApiRequestRecord {
  method: string;
  path: string;
  status: number;
  conditional: boolean;
}

export interface FakeRawAnswer {
  status: number;
  headers: Record<string, string | string[]>;
  body: string | Buffer;
}

type ApiFault =
  | { kind: 'respond'; respond: (request: IncomingMessage, token: FakeGitHubToken) => FakeRawAnswer }
  | { kind: 'secondary'; retryAfterSeconds: number | undefined }
  | { kind: 'primary'; resetInSeconds: number }
  | { kind: 'status'; status: number }
  | { kind: 'redirect'; location: string; status: number }
  | { kind: 'hang' };

/** @internal */
export function seedWorld(state: FakeGitHubState): void {
  const org = findOrgObject();
  state.users.set(state.user.login.toLowerCase(), state.user);
  state.users.set(String(org.login).toLowerCase(), { ...org, name: 'Octokit Fixture Organization', public_repos: 2, followers: 0, following: 0, created_at: '2017-10-10T16:00:00Z' });

  const recorded = loadFixture('get-repository').find((fixture) => fixture.method === 'get')!.response as FakeRepository['json'];
  const helloWorld: FakeRepository = { json: { ...recorded }, issues: [], pulls: [], comments: new Map() };
  const author = pickUser(state.user);
  helloWorld.issues.push(
    issueJson(helloWorld.json, 1, 'Found a bug', 'closed', author, { body: 'It does not say hello.', closed_at: '2017-10-11T16:00:00Z', state_reason: 'completed' }),
    issueJson(helloWorld.json, 2, 'Say hello in more languages', 'open', author, { body: 'Bonjour, hallo, hej.', labels: [label('enhancement', 'a2eeef', 'New feature or request')] }),
  );
  helloWorld.pulls.push(pullJson(helloWorld.json, 3, 'Add a French greeting', 'open', author, 'french', { draft: false }));
  helloWorld.pulls.push(pullJson(helloWorld.json, 4, 'Fix the typo in the README', 'closed', author, 'typo', { merged_at: '2017-10-12T16:00:00Z', closed_at: '2017-10-12T16:00:00Z' }));
  for (const pull of helloWorld.pulls) {
    helloWorld.issues.push(issueJson(helloWorld.json, pull.number, String(pull['title']), pull.state, author, { pull_request: { url: pull['url'], html_url: pull['html_url'] } }));
  }
  state.repositories.set(helloWorld.json.full_name.toLowerCase(), helloWorld);

  // Recorded pages of 13 open issues (octokit's paginate-issues scenario), kept as they were.
  const pages = loadFixture('paginate-issues').filter((fixture) => fixture.method === 'get');
  const issues = pages.flatMap((fixture) => fixture.response as FakeRepository['issues']);
  const paginate: FakeRepository = {
    json: { ...recorded, id: 1001, node_id: 'MDEwOlJlcG9zaXRvcnkxMDAx', name: 'paginate-issues', full_name: 'octokit-fixture-org/paginate-issues', html_url: 'https://github.com/octokit-fixture-org/paginate-issues', url: 'https://api.github.com/repos/octokit-fixture-org/paginate-issues', open_issues_count: issues.length, topics: [] },
    issues,
    pulls: [],
    comments: new Map(),
  };
  state.repositories.set(paginate.json.full_name.toLowerCase(), paginate);
}

function findOrgObject(): Record<string, unknown> & { login: string } {
  const recorded = loadFixture('get-repository').find((fixture) => fixture.method === 'get')!.response as { owner: Record<string, unknown> & { login: string } };
  return { ...recorded.owner };
}

function pickUser(user: FakeGitHubUser): Record<string, unknown> {
  const keep = ['login', 'id', 'node_id', 'avatar_url', 'gravatar_id', 'url', 'html_url', 'followers_url', 'following_url', 'gists_url', 'starred_url', 'subscriptions_url', 'organizations_url', 'repos_url', 'events_url', 'received_events_url', 'type', 'site_admin'];
  return Object.fromEntries(keep.filter((key) => key in user).map((key) => [key, user[key]]));
}

function label(name: string, color: string, description: string): Record<string, unknown> {
  return { id: 1000, node_id: 'MDU6TGFiZWwxMDAw', url: `https://api.github.com/repos/octokit-fixture-org/hello-world/labels/${name}`, name, color, default: true, description };
}

function issueJson(
  repository: FakeRepository['json'],
  number: number,
  title: string,
  state: string,
  user: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): FakeRepository['issues'][number] {
  const api = `https://api.github.com/repos/${repository.full_name}`;
  return {
    url: `${api}/issues/${number}`,
    repository_url: api,
    labels_url: `${api}/issues/${number}/labels{/name}`,
    comments_url: `${api}/issues/${number}/comments`,
    events_url: `${api}/issues/${number}/events`,
    html_url: `https://github.com/${repository.full_name}/issues/${number}`,
    id: 1000 + number,
    node_id: Buffer.from(`04:Issue${1000 + number}`).toString('base64'),
    number,
    title,
    user,
    labels: [],
    state,
    locked: false,
    assignee: null,
    assignees: [],
    milestone: null,
    comments: 0,
    created_at: '2017-10-10T16:00:00Z',
    updated_at: '2017-10-10T16:00:00Z',
    closed_at: null,
    author_association: 'MEMBER',
    active_lock_reason: null,
    body: null,
    state_reason: null,
    ...extra,
  };
}

function pullJson(
  repository: FakeRepository['json'],
  number: number,
  title: string,
  state: string,
  user: Record<string, unknown>,
  branch: string,
  extra: Record<string, unknown> = {},
): FakeRepository['pulls'][number] {
  const api = `https://api.github.com/repos/${repository.full_name}`;
  const ref = (name: string) => ({ label: `octokit-fixture-org:${name}`, ref: name, sha: '0000000000000000000000000000000000000000', user, repo: null });
  return {
    url: `${api}/pulls/${number}`,
    id: 2000 + number,
    node_id: Buffer.from(`011:PullRequest${2000 + number}`).toString('base64'),
    html_url: `https://github.com/${repository.full_name}/pull/${number}`,
    number,
    state,
    locked: false,
    title,
    user,
    body: null,
    created_at: '2017-10-10T16:00:00Z',
    updated_at: '2017-10-10T16:00:00Z',
    closed_at: null,
    merged_at: null,
    draft: false,
    head: ref(branch),
    base: ref(String(repository['default_branch'] ?? 'master')),
    author_association: 'MEMBER',
    ...extra,
  };
}

/** Routes the REST API paths; false when the path is not one of them. */
async function handleRestApi(state: FakeGitHubState, url: URL, method: string, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const path = url.pathname;
  const routes: Array<[string, RegExp, (match: string[]) => Promise<void> | void]> = [
    ['GET', /^\/users\/([^/]+)$/, ([login]) => getUser(state, login!, req, res)],
    ['GET', /^\/repos\/([^/]+)\/([^/]+)$/, ([owner, name]) => getRepository(state, owner!, name!, req, res)],
    ['GET', /^\/repos\/([^/]+)\/([^/]+)\/issues$/, ([owner, name]) => listIssues(state, owner!, name!, 'issues', url, req, res)],
    ['GET', /^\/repos\/([^/]+)\/([^/]+)\/pulls$/, ([owner, name]) => listIssues(state, owner!, name!, 'pulls', url, req, res)],
    ['GET', /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)$/, ([owner, name, number]) => getIssue(state, owner!, name!, Number(number), req, res)],
    ['POST', /^\/repos\/([^/]+)\/([^/]+)\/issues$/, ([owner, name]) => createIssue(state, owner!, name!, req, res)],
    ['POST', /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/, ([owner, name, number]) => createComment(state, owner!, name!, Number(number), req, res)],
    ['GET', /^\/user\/starred\/([^/]+)\/([^/]+)$/, ([owner, name]) => star(state, 'GET', owner!, name!, req, res)],
    ['PUT', /^\/user\/starred\/([^/]+)\/([^/]+)$/, ([owner, name]) => star(state, 'PUT', owner!, name!, req, res)],
    ['DELETE', /^\/user\/starred\/([^/]+)\/([^/]+)$/, ([owner, name]) => star(state, 'DELETE', owner!, name!, req, res)],
  ];
  for (const [routeMethod, pattern, handle] of routes) {
    const match = pattern.exec(path);
    if (match && routeMethod === method) {
      await handle(match.slice(1).map((part) => decodeURIComponent(part)));
      return true;
    }
  }
  return false;
}

/** Counts the request, applies a queued fault, and checks the token; undefined when it answered. */
function authenticateApi(state: FakeGitHubState, req: IncomingMessage, res: ServerResponse, docs = 'https://docs.github.com/rest'): FakeGitHubToken | undefined {
  state.apiRequests += 1;
  res.once('close', () => {
    if (!res.writableFinished) state.abortedApiRequests += 1;
  });
  const presented = parseTokenAuth(req.headers.authorization);
  const token = presented === undefined ? undefined : state.findByAccessToken(presented);
  if (!token || !isAccessTokenValid(token) || state.rejectEveryToken) {
    sendApiJson(res, 401, presented === undefined ? { message: 'Requires authentication', documentation_url: docs, status: '401' } : badCredentials(), { 'x-ratelimit-limit': '60' });
    logApi(state, req, 401);
    return undefined;
  }
  const fault = state.apiFaults.shift();
  if (fault?.kind === 'hang') return undefined;
  if (fault?.kind === 'respond') {
    const answer = fault.respond(req, token);
    res.writeHead(answer.status, answer.headers).end(answer.body);
    logApi(state, req, answer.status);
    return undefined;
  }
  if (fault?.kind === 'redirect') {
    sendApiJson(res, fault.status, { message: 'Moved Permanently', url: fault.location, documentation_url: 'https://docs.github.com/rest/guides/best-practices-for-using-the-rest-api#follow-redirects' }, { location: fault.location });
    logApi(state, req, fault.status);
    return undefined;
  }
  if (fault?.kind === 'status') {
    sendApiJson(res, fault.status, { message: 'Server Error', status: String(fault.status) });
    logApi(state, req, fault.status);
    return undefined;
  }
  if (fault?.kind === 'secondary') {
    // https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits
    const headers: Record<string, string> = { ...apiHeaders(state, token, false) };
    if (fault.retryAfterSeconds !== undefined) headers['retry-after'] = String(fault.retryAfterSeconds);
    sendApiJson(res, 403, {
      message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID.',
      documentation_url: 'https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits',
      status: '403',
    }, headers);
    logApi(state, req, 403);
    return undefined;
  }
  if (fault?.kind === 'primary') {
    const used = state.rateLimitUsed.get(token.accessToken) ?? 0;
    sendApiJson(res, 403, {
      message: `API rate limit exceeded for user ID ${state.user.id}. If you reach out to GitHub Support for help, please include the request ID.`,
      documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api',
      status: '403',
    }, {
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': '0',
      'x-ratelimit-used': String(Math.max(used, 5000)),
      'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + fault.resetInSeconds),
      'x-ratelimit-resource': 'core',
    });
    logApi(state, req, 403);
    return undefined;
  }
  return token;
}

function logApi(state: FakeGitHubState, req: IncomingMessage, status: number): void {
  state.apiLog.push({ method: req.method ?? 'GET', path: req.url ?? '/', status, conditional: req.headers['if-none-match'] !== undefined });
}

/** A JSON answer with GitHub's headers and ETag; a matching If-None-Match gets a 304 that costs no quota. */
function sendApiData(state: FakeGitHubState, token: FakeGitHubToken, req: IncomingMessage, res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  const etag = `W/"${createHash('sha256').update(text).digest('hex').slice(0, 64)}"`;
  const conditional = req.method === 'GET' && req.headers['if-none-match'] === etag;
  const headers: Record<string, string> = {
    ...apiHeaders(state, token, !conditional),
    'cache-control': 'private, max-age=60, s-maxage=60',
    etag,
    'x-oauth-scopes': token.scopes.join(', '),
    'x-accepted-oauth-scopes': '',
    ...extra,
  };
  logApi(state, req, conditional ? 304 : status);
  if (conditional) {
    state.notModifiedResponses += 1;
    res.writeHead(304, headers).end();
    return;
  }
  res.writeHead(status, headers).end(text);
}

function notFound(state: FakeGitHubState, req: IncomingMessage, res: ServerResponse, docs: string, extra: Record<string, string> = {}): void {
  sendApiJson(res, 404, { message: 'Not Found', documentation_url: docs, status: '404' }, extra);
  logApi(state, req, 404);
}

function repositoryOf(state: FakeGitHubState, owner: string, name: string): FakeRepository | undefined {
  return state.repositories.get(`${owner}/${name}`.toLowerCase());
}

function getUser(state: FakeGitHubState, login: string, req: IncomingMessage, res: ServerResponse): void {
  const token = authenticateApi(state, req, res);
  if (!token) return;
  const user = state.users.get(login.toLowerCase());
  if (!user) return notFound(state, req, res, 'https://docs.github.com/rest/users/users#get-a-user');
  // The public profile: no plan, private counts or notification email.
  const { plan: _plan, private_gists: _a, total_private_repos: _b, owned_private_repos: _c, disk_usage: _d, collaborators: _e, two_factor_authentication: _f, notification_email: _g, ...profile } = user;
  sendApiData(state, token, req, res, 200, { ...profile, user_view_type: 'public' });
}

function getRepository(state: FakeGitHubState, owner: string, name: string, req: IncomingMessage, res: ServerResponse): void {
  const token = authenticateApi(state, req, res);
  if (!token) return;
  const repository = repositoryOf(state, owner, name);
  if (!repository) return notFound(state, req, res, 'https://docs.github.com/rest/repos/repos#get-a-repository', { 'x-accepted-oauth-scopes': 'repo' });
  sendApiData(state, token, req, res, 200, repository.json, { 'x-accepted-oauth-scopes': 'repo' });
}

function listIssues(state: FakeGitHubState, owner: string, name: string, kind: 'issues' | 'pulls', url: URL, req: IncomingMessage, res: ServerResponse): void {
  const token = authenticateApi(state, req, res);
  if (!token) return;
  const repository = repositoryOf(state, owner, name);
  if (!repository) return notFound(state, req, res, `https://docs.github.com/rest/${kind === 'issues' ? 'issues/issues#list-repository-issues' : 'pulls/pulls#list-pull-requests'}`);
  const wanted = url.searchParams.get('state') ?? 'open';
  const perPage = Math.min(100, Math.max(1, Number(url.searchParams.get('per_page') ?? 30) || 30));
  const page = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1);
  const all = (kind === 'issues' ? repository.issues : repository.pulls)
    .filter((item) => wanted === 'all' || item.state === wanted)
    .sort((a, b) => b.number - a.number);
  const lastPage = Math.max(1, Math.ceil(all.length / perPage));
  const items = all.slice((page - 1) * perPage, page * perPage);
  const link = (target: number) => {
    const next = new URL(`https://api.github.com/repositories/${repository.json.id}/${kind}`);
    for (const [key, value] of url.searchParams) if (key !== 'page') next.searchParams.set(key, value);
    next.searchParams.set('page', String(target));
    return `<${next.toString()}>`;
  };
  const rels: string[] = [];
  if (page > 1) rels.push(`${link(page - 1)}; rel="prev"`);
  if (page < lastPage) rels.push(`${link(page + 1)}; rel="next"`, `${link(lastPage)}; rel="last"`);
  if (page > 1) rels.push(`${link(1)}; rel="first"`);
  sendApiData(state, token, req, res, 200, items, rels.length > 0 ? { link: rels.join(', ') } : {});
}

function getIssue(state: FakeGitHubState, owner: string, name: string, number: number, req: IncomingMessage, res: ServerResponse): void {
  const token = authenticateApi(state, req, res);
  if (!token) return;
  const issue = repositoryOf(state, owner, name)?.issues.find((candidate) => candidate.number === number);
  if (!issue) return notFound(state, req, res, 'https://docs.github.com/rest/issues/issues#get-an-issue');
  sendApiData(state, token, req, res, 200, issue);
}

function canWrite(token: FakeGitHubToken): boolean {
  return token.scopes.includes('repo') || token.scopes.includes('public_repo');
}

async function createIssue(state: FakeGitHubState, owner: string, name: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const token = authenticateApi(state, req, res);
  if (!token) return;
  const body = parseJsonBody(await readBody(req));
  const repository = repositoryOf(state, owner, name);
  if (!repository || !canWrite(token)) return notFound(state, req, res, 'https://docs.github.com/rest/issues/issues#create-an-issue', { 'x-accepted-oauth-scopes': 'repo' });
  if (typeof body?.title !== 'string' || body.title.length === 0) {
    sendApiJson(res, 422, { message: 'Validation Failed', errors: [{ resource: 'Issue', code: 'missing_field', field: 'title' }], documentation_url: 'https://docs.github.com/rest/issues/issues#create-an-issue', status: '422' });
    logApi(state, req, 422);
    return;
  }
  const number = Math.max(0, ...repository.issues.map((issue) => issue.number)) + 1;
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const labels = Array.isArray(body.labels) ? body.labels.filter((value): value is string => typeof value === 'string').map((value) => label(value, 'ededed', '')) : [];
  const issue = issueJson(repository.json, number, body.title, 'open', pickUser(state.user), { body: typeof body.body === 'string' ? body.body : null, labels, created_at: now, updated_at: now });
  repository.issues.push(issue);
  sendApiData(state, token, req, res, 201, issue, { location: String(issue['url']) });
}

async function createComment(state: FakeGitHubState, owner: string, name: string, number: number, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const token = authenticateApi(state, req, res);
  if (!token) return;
  const body = parseJsonBody(await readBody(req));
  const repository = repositoryOf(state, owner, name);
  const issue = repository?.issues.find((candidate) => candidate.number === number);
  if (!repository || !issue || !canWrite(token)) return notFound(state, req, res, 'https://docs.github.com/rest/issues/comments#create-an-issue-comment');
  if (typeof body?.body !== 'string' || body.body.length === 0) {
    sendApiJson(res, 422, { message: 'Validation Failed', errors: [{ resource: 'IssueComment', code: 'missing_field', field: 'body' }], status: '422' });
    logApi(state, req, 422);
    return;
  }
  const comments = repository.comments.get(number) ?? [];
  const id = 3000 + state.commentCount++;
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const comment = {
    url: `https://api.github.com/repos/${repository.json.full_name}/issues/comments/${id}`,
    html_url: `${String(issue['html_url'])}#issuecomment-${id}`,
    issue_url: String(issue['url']),
    id,
    node_id: Buffer.from(`012:IssueComment${id}`).toString('base64'),
    user: pickUser(state.user),
    created_at: now,
    updated_at: now,
    author_association: 'MEMBER',
    body: body.body,
  };
  comments.push(comment);
  repository.comments.set(number, comments);
  issue['comments'] = comments.length;
  sendApiData(state, token, req, res, 201, comment, { location: comment.url });
}

async function star(state: FakeGitHubState, method: 'GET' | 'PUT' | 'DELETE', owner: string, name: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const token = authenticateApi(state, req, res);
  if (!token) return;
  await readBody(req);
  const repository = repositoryOf(state, owner, name);
  const key = `${owner}/${name}`.toLowerCase();
  if (!repository) return notFound(state, req, res, 'https://docs.github.com/rest/activity/starring');
  if (method === 'GET') {
    if (!state.starred.has(key)) return notFound(state, req, res, 'https://docs.github.com/rest/activity/starring#check-if-a-repository-is-starred-by-the-authenticated-user');
  } else {
    if (!canWrite(token)) return notFound(state, req, res, 'https://docs.github.com/rest/activity/starring', { 'x-accepted-oauth-scopes': 'public_repo, repo' });
    // "You'll need to set Content-Length to zero when calling out to this endpoint."
    if (method === 'PUT' && req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined) {
      res.writeHead(411, { 'content-type': 'text/html' }).end('<h1>Length Required</h1>');
      logApi(state, req, 411);
      return;
    }
    if (method === 'PUT') state.starred.add(key);
    else state.starred.delete(key);
  }
  res.writeHead(204, apiHeaders(state, token)).end();
  logApi(state, req, 204);
}

function parseJsonBody(text: string): Record<string, unknown> | undefined {
  try {
    const parsed = JSON.parse(text) as unknown;
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Headers recorded from the real API (via @octokit/fixtures), with the per-request ones computed.

interface RecordedFixture {
  path: string;
  method: string;
  headers: Record<string, string | number>;
  response: unknown;
}

function loadFixture(scenario: string): RecordedFixture[] {
  const require = createRequire(import.meta.url);
  const root = dirname(require.resolve('@octokit/fixtures/package.json'));
  const file = join(root, 'scenarios', 'api.github.com', scenario, 'normalized-fixture.json');
  return JSON.parse(readFileSync(file, 'utf8')) as RecordedFixture[];
}

const recordedApiHeaders: Record<string, string> = (() => {
  const root = loadFixture('get-root').find((fixture) => fixture.method === 'get' && fixture.path === '/');
  const kept: Record<string, string> = {};
  const perRequest = new Set(['connection', 'content-length', 'date', 'etag', 'x-oauth-scopes', 'x-accepted-oauth-scopes']);
  for (const [name, value] of Object.entries(root?.headers ?? {})) {
    if (!perRequest.has(name) && !name.startsWith('x-ratelimit')) {
      kept[name] = String(value);
    }
  }
  return kept;
})();

function defaultUser(): FakeGitHubUser {
  // The public part of a user as recorded by @octokit/fixtures (no GET /user recording exists
  // there), with the private fields GET /user adds for the authenticated user.
  const recorded = findRecordedUser();
  return {
    ...recorded,
    user_view_type: 'private',
    name: 'Octokit Fixture User A',
    company: null,
    blog: '',
    location: null,
    email: 'octokit-fixture-user-a@example.com',
    hireable: null,
    bio: null,
    twitter_username: null,
    notification_email: 'octokit-fixture-user-a@example.com',
    public_repos: 2,
    public_gists: 0,
    followers: 0,
    following: 0,
    created_at: '2017-10-10T16:00:00Z',
    updated_at: '2017-10-10T16:00:00Z',
    private_gists: 0,
    total_private_repos: 0,
    owned_private_repos: 0,
    disk_usage: 0,
    collaborators: 0,
    two_factor_authentication: true,
    plan: { name: 'free', space: 976562499, collaborators: 0, private_repos: 10000 },
  } as FakeGitHubUser;
}

function findRecordedUser(): Record<string, unknown> & { id: number; login: string } {
  const fixtures = loadFixture('release-assets-conflict');
  const found = findUserObject(fixtures, 'octokit-fixture-user-a');
  if (!found) {
    throw new Error('@octokit/fixtures no longer records octokit-fixture-user-a; update fake-github.');
  }
  return found;
}

function findUserObject(value: unknown, login: string): (Record<string, unknown> & { id: number; login: string }) | undefined {
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = findUserObject(item, login);
      if (found) return found;
    }
    return undefined;
  }
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if (record['login'] === login && record['type'] === 'User' && typeof record['id'] === 'number') {
      return { ...record } as Record<string, unknown> & { id: number; login: string };
    }
    for (const child of Object.values(record)) {
      const found = findUserObject(child, login);
      if (found) return found;
    }
  }
  return undefined;
}

function apiHeaders(state: FakeGitHubState, token: FakeGitHubToken, count = true): Record<string, string> {
  const used = (state.rateLimitUsed.get(token.accessToken) ?? 0) + (count ? 1 : 0);
  state.rateLimitUsed.set(token.accessToken, used);
  return {
    ...recordedApiHeaders,
    'content-type': 'application/json; charset=utf-8',
    'x-github-api-version-selected': '2022-11-28',
    'x-github-request-id': requestId(),
    'x-ratelimit-limit': '5000',
    'x-ratelimit-remaining': String(5000 - used),
    'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
    'x-ratelimit-used': String(used),
    'x-ratelimit-resource': 'core',
  };
}

function sendApiJson(
  res: ServerResponse,
  status: number,
  body: Record<string, unknown>,
  extraHeaders: Record<string, string> = {},
): void {
  res.writeHead(status, {
    ...recordedApiHeaders,
    'content-type': 'application/json; charset=utf-8',
    'x-github-media-type': 'github.v3; format=json',
    'x-github-request-id': requestId(),
    'x-ratelimit-limit': '5000',
    'x-ratelimit-remaining': '4999',
    'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
    'x-ratelimit-used': '1',
    'x-ratelimit-resource': 'core',
    ...extraHeaders,
  });
  res.end(JSON.stringify(body));
}

function sendUserAgentRequired(res: ServerResponse): void {
  sendHtml(
    res,
    403,
    'Request forbidden by administrative rules. Please make sure your request has a User-Agent header ' +
      '(https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required).',
  );
}

function requestId(): string {
  const hex = (length: number) => randomBytes(Math.ceil(length / 2)).toString('hex').slice(0, length).toUpperCase();
  return `${hex(4)}:${hex(5)}:${hex(7)}:${hex(7)}:${hex(8)}`;
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

/** GitHub reads token parameters from the query string and from a form or JSON body. */
async function readParams(req: IncomingMessage, url: URL): Promise<URLSearchParams> {
  const params = new URLSearchParams(url.searchParams);
  const body = await readBody(req);
  const contentType = (req.headers['content-type'] ?? '').toLowerCase();
  if (contentType.includes('application/json')) {
    try {
      const parsed = JSON.parse(body) as Record<string, unknown>;
      for (const [key, value] of Object.entries(parsed)) {
        if (typeof value === 'string') params.set(key, value);
      }
    } catch {
      // GitHub ignores a body it cannot parse; the request then lacks its parameters.
    }
  } else {
    for (const [key, value] of new URLSearchParams(body)) {
      params.set(key, value);
    }
  }
  return params;
}

function parseBasicAuth(header: string | undefined): { user: string; password: string } | undefined {
  const match = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** The REST API takes `Bearer <token>` or the older `token <token>`. */
function parseTokenAuth(header: string | undefined): string | undefined {
  const match = /^(?:Bearer|token)\s+(\S+)$/i.exec(header ?? '');
  return match?.[1];
}

function splitScopes(raw: string | null): string[] {
  return [...new Set((raw ?? '').split(/[\s,]+/).filter((scope) => scope.length > 0))];
}

function redirectWith(res: ServerResponse, target: string, params: Record<string, string | null | undefined>): void {
  const location = new URL(target);
  for (const [key, value] of Object.entries(params)) {
    if (value !== null && value !== undefined) {
      location.searchParams.set(key, value);
    }
  }
  res.writeHead(302, { location: location.toString(), 'content-type': 'text/html; charset=utf-8' });
  res.end(`<html><body>You are being <a href="${location.toString()}">redirected</a>.</body></html>`);
}

function sendHtml(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
  res.end(`<!DOCTYPE html><html><body><p>${message}</p></body></html>`);
}

function s256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function randomBase62(length: number): string {
  let out = '';
  for (let i = 0; i < length; i += 1) {
    out += BASE62[randomInt(BASE62.length)];
  }
  return out;
}

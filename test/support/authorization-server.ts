// A real OAuth 2.0 authorization server (oidc-provider, OpenID certified) standing in for Salesforce
// in tests. oidc-provider does the protocol work (client authentication, PKCE, single-use codes,
// redirect URI checks, refresh tokens, RFC 7009 revocation, RFC 9207 `iss`); this file maps it onto
// Salesforce's paths, auto-approves the login/consent interaction, adds Salesforce's token-response
// fields and identity URL, and offers fault injection on the token endpoint.

import { createHmac, createPrivateKey, createSign, generateKeyPairSync, randomBytes, type JsonWebKey } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CookieJar, rememberBrowser } from './gateway.js';

export interface AuthorizationServerOptions {
  clients: Array<{
    clientId: string;
    /** Unused by private_key_jwt clients. */
    clientSecret: string;
    redirectUris: string[];
    /** Default client_secret_post, as the gateway's Salesforce definition uses. */
    tokenEndpointAuthMethod?: 'client_secret_basic' | 'client_secret_post' | 'client_secret_jwt' | 'private_key_jwt';
    /** private_key_jwt: where the server fetches the client's public keys. */
    jwksUri?: string;
    /**
     * Allow the client credentials grant, as a Salesforce connected app that enables it: its tokens
     * act for the app's run-as user (default DEFAULT_ACCOUNT_ID), whose identity URL they may read.
     */
    clientCredentials?: { runAsAccountId?: string };
  }>;
  /** Scopes it knows (others are silently dropped from requests); default Salesforce's common ones. */
  scopes?: string[];
  /** Default 3600. */
  accessTokenTtlSeconds?: number;
  /** Default false: a refresh answer then carries no refresh_token, like Salesforce's. */
  rotateRefreshTokens?: boolean;
  /**
   * OpenID Connect claims by scope (oidc-provider's `claims` option), e.g.
   * `{ openid: ['sub'], profile: ['preferred_username', 'name'] }`. Default: only `sub`.
   */
  claims?: Record<string, string[]>;
  /** Claims of an account besides `sub` (served by userinfo for the scopes `claims` maps them to). */
  accountClaims?: (accountId: string) => Record<string, unknown>;
  /**
   * RFC 9126 pushed authorization requests: off by default (then not advertised); `advertised`
   * publishes the endpoint, `required` also refuses authorization requests that were not pushed.
   */
  pushedAuthorizationRequests?: 'advertised' | 'required';
  /** The client authentication methods the server supports (token_endpoint_auth_methods_supported); default oidc-provider's five. */
  clientAuthMethods?: string[];
}

export interface AuthorizationServer {
  /** http://127.0.0.1:<port> */
  issuer: string;
  /** Environment so the gateway's SALESFORCE service uses this server. */
  salesforceEnv(): Record<string, string>;
  /**
   * Follows an authorization URL like a browser whose user logs in and consents (or denies),
   * returning the first redirect that leaves the issuer's origin, without fetching it.
   */
  authorize(authorizationUrl: string, options?: { deny?: boolean; accountId?: string }): Promise<URL>;
  state: {
    tokenRequests: number;
    refreshRequests: number;
    revocations: number;
    lastTokenRequest?: { grantType: string; hadCodeVerifier: boolean; extraParams?: Record<string, string> };
    clientCredentialsRequests: number;
    /** GET requests for a discovery document (/.well-known/openid-configuration or oauth-authorization-server). */
    discoveryRequests: number;
    /** Every PKCE code_verifier the token endpoint received, in order (for leak checks). */
    codeVerifiers: string[];
    /** Pushed authorization requests answered with a request_uri. */
    pushedRequests: number;
    /** The client_assertion_type and the JWT header of the last token request's client assertion, if any. */
    lastClientAssertion?: { type: string; header: Record<string, unknown> };
  };
  /** Rewrites the id_token of the following token responses (undefined: stop). */
  rewriteIdTokens(rewrite: ((idToken: string) => string) | undefined): void;
  /** The next `count` token requests get `status` with a body like a broken server's. */
  failNextTokenRequests(count: number, status: 500 | 503 | 429): void;
  /** The next token request is never answered. */
  hangNextTokenRequest(): void;
  /** Ends the grants (of one account, or all) so their refresh and access tokens stop working. */
  revokeAllGrants(accountId?: string): Promise<void>;
  close(): Promise<void>;
}

export const DEFAULT_ACCOUNT_ID = '005xx000001Sv6eAAC';
export const ORGANIZATION_ID = '00Dxx0000001gPLEAY';
export const DEFAULT_SCOPES = ['api', 'refresh_token', 'id', 'profile', 'email', 'web', 'full', 'offline_access'];

/** Token request parameters of the standard grants; anything else is recorded as an extra parameter. */
const STANDARD_TOKEN_PARAMS = new Set([
  'grant_type', 'client_id', 'client_secret', 'code', 'code_verifier', 'redirect_uri', 'refresh_token', 'scope', 'resource',
  'client_assertion', 'client_assertion_type',
]);

const paths = {
  authorization: '/services/oauth2/authorize',
  token: '/services/oauth2/token',
  revocation: '/services/oauth2/revoke',
  introspection: '/services/oauth2/introspect',
  userinfo: '/services/oauth2/userinfo',
  jwks: '/id/keys',
};

// ---- The slice of oidc-provider's (untyped) API used here ----

interface KoaContext {
  method: string;
  path: string;
  status: number;
  type: string;
  body: unknown;
  respond: boolean;
  req: IncomingMessage;
  res: ServerResponse;
  get(header: string): string;
  set(header: string, value: string): void;
  oidc?: {
    body?: Record<string, unknown>;
    entities: { AccessToken?: { accountId?: string }; ClientCredentials?: { clientId: string }; Client?: { clientSecret?: string } };
  };
}
type KoaMiddleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void>;

interface OidcGrant {
  addOIDCScope(scope: string): void;
  save(): Promise<string>;
}
interface OidcProvider {
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  use(middleware: KoaMiddleware): void;
  on(event: 'server_error', listener: (ctx: unknown, error: Error) => void): void;
  interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<{ uid: string; params: Record<string, unknown> }>;
  interactionFinished(req: IncomingMessage, res: ServerResponse, result: object, options: { mergeWithLastSubmission: boolean }): Promise<void>;
  Grant: new (init: { accountId: string; clientId: string }) => OidcGrant;
  AccessToken: { find(token: string): Promise<{ accountId: string; clientId: string; isExpired: boolean } | undefined> };
  ClientCredentials: { find(token: string): Promise<{ clientId: string; isExpired: boolean } | undefined> };
}
type ProviderConstructor = new (issuer: string, configuration: object) => OidcProvider;

let providerClass: Promise<ProviderConstructor> | undefined;

/** Imports oidc-provider without its import-time "Unsupported runtime" warning (it wants Node 22+). */
function loadProvider(): Promise<ProviderConstructor> {
  providerClass ??= (async () => {
    const warn = console.warn;
    console.warn = (...args: unknown[]) => {
      if (typeof args[0] === 'string' && args[0].includes('oidc-provider WARNING: Unsupported runtime')) return;
      warn(...args);
    };
    try {
      // @ts-ignore -- oidc-provider ships no type declarations; the slice used is typed above.
      const module: { default: unknown } = await import('oidc-provider');
      return module.default as ProviderConstructor;
    } finally {
      console.warn = warn;
    }
  })();
  return providerClass;
}

let signingKey: Record<string, unknown> | undefined;

/** One RSA key per test process for ID tokens (only issued when `openid` is asked for). */
function jwks() {
  signingKey ??= {
    ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }),
    kid: 'test-key',
    use: 'sig',
    alg: 'RS256',
  };
  return { keys: [signingKey] };
}

/**
 * An ID token with its claims changed by `change`, signed again with the servers' real key, so
 * that only the changed claim (not the signature) is wrong.
 */
export function resignIdToken(idToken: string, change: (claims: Record<string, unknown>) => Record<string, unknown>): string {
  const [header = '', payload = ''] = idToken.split('.');
  const claims = change(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>);
  const body = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  const key = createPrivateKey({ key: jwks().keys[0] as JsonWebKey, format: 'jwk' });
  return `${body}.${createSign('RSA-SHA256').update(body).sign(key).toString('base64url')}`;
}

// ---- A per-server in-memory adapter (oidc-provider's own one warns, and is shared per process) ----

type Payload = Record<string, unknown> & { grantId?: string; uid?: string; userCode?: string; accountId?: string; consumed?: number };
const grantBound = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest']);

function createStore() {
  const records = new Map<string, { model: string; payload: Payload; expiresAt: number }>();

  const live = (key: string) => {
    const record = records.get(key);
    if (record && record.expiresAt <= Date.now()) {
      records.delete(key);
      return undefined;
    }
    return record;
  };
  const findWhere = (model: string, test: (payload: Payload) => boolean) => {
    for (const [key, record] of records) {
      if (record.model === model && test(record.payload)) return live(key)?.payload;
    }
    return undefined;
  };
  const revokeByGrantId = (grantId: string) => {
    for (const [key, record] of records) {
      if (grantBound.has(record.model) && record.payload.grantId === grantId) records.delete(key);
    }
  };

  class Adapter {
    constructor(private readonly model: string) {}
    async upsert(id: string, payload: Payload, expiresIn?: number) {
      const expiresAt = typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : Infinity;
      records.set(`${this.model}:${id}`, { model: this.model, payload, expiresAt });
    }
    async find(id: string) {
      return live(`${this.model}:${id}`)?.payload;
    }
    async findByUid(uid: string) {
      return findWhere(this.model, (payload) => payload.uid === uid);
    }
    async findByUserCode(userCode: string) {
      return findWhere(this.model, (payload) => payload.userCode === userCode);
    }
    async consume(id: string) {
      const record = live(`${this.model}:${id}`);
      if (record) record.payload.consumed = Math.floor(Date.now() / 1000);
    }
    async destroy(id: string) {
      records.delete(`${this.model}:${id}`);
    }
    async revokeByGrantId(grantId: string) {
      revokeByGrantId(grantId);
    }
  }

  /** Deletes the grants (of one account or all) and every token and code issued under them. */
  function revokeGrants(accountId?: string) {
    for (const [key, record] of [...records]) {
      if (record.model === 'Grant' && (accountId === undefined || record.payload.accountId === accountId)) {
        records.delete(key);
        revokeByGrantId(key.slice('Grant:'.length));
      }
    }
  }

  return { Adapter, revokeGrants };
}

// ---- The server ----

export async function startAuthorizationServer(options: AuthorizationServerOptions): Promise<AuthorizationServer> {
  const Provider = await loadProvider();
  const store = createStore();
  const rotateRefreshTokens = options.rotateRefreshTokens ?? false;

  const state: AuthorizationServer['state'] = {
    tokenRequests: 0,
    refreshRequests: 0,
    revocations: 0,
    clientCredentialsRequests: 0,
    discoveryRequests: 0,
    codeVerifiers: [],
    pushedRequests: 0,
  };
  let idTokenRewrite: ((idToken: string) => string) | undefined;
  const runAsByClient = new Map(
    options.clients.filter((client) => client.clientCredentials).map((client) => [client.clientId, client.clientCredentials!.runAsAccountId ?? DEFAULT_ACCOUNT_ID]),
  );
  const faults: Array<500 | 503 | 429 | 'hang'> = [];
  /** What the simulated user will answer on an interaction page, by interaction uid. */
  const decisions = new Map<string, { deny?: boolean; accountId?: string }>();

  // Listen first: the issuer must name the port.
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.writeHead(503).end();
  const server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const identityUrl = (accountId: string) => `${issuer}/id/${ORGANIZATION_ID}/${accountId}`;

  const provider = new Provider(issuer, {
    adapter: store.Adapter,
    jwks: jwks(),
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    clients: options.clients.map((client) => ({
      client_id: client.clientId,
      ...(client.tokenEndpointAuthMethod === 'private_key_jwt' ? { jwks_uri: client.jwksUri } : { client_secret: client.clientSecret }),
      redirect_uris: client.redirectUris,
      grant_types: ['authorization_code', 'refresh_token', ...(client.clientCredentials ? ['client_credentials'] : [])],
      response_types: ['code'],
      token_endpoint_auth_method: client.tokenEndpointAuthMethod ?? 'client_secret_post',
    })),
    // Every scope is a "static" scope oidc-provider knows; without a resource indicator the access
    // token then carries the granted ones (Grant#addOIDCScope) and the token response names them.
    // Unknown scopes are dropped from the request, not rejected.
    scopes: options.scopes ?? DEFAULT_SCOPES,
    responseTypes: ['code'],
    routes: paths,
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true, allowedPolicy: async (_ctx: unknown, client: { clientId: string }, token: { clientId: string }) => token.clientId === client.clientId },
      introspection: { enabled: true, allowedPolicy: async () => true },
      clientCredentials: { enabled: true },
      pushedAuthorizationRequests: {
        enabled: options.pushedAuthorizationRequests !== undefined,
        requirePushedAuthorizationRequests: options.pushedAuthorizationRequests === 'required',
      },
    },
    ...(options.clientAuthMethods ? { clientAuthMethods: options.clientAuthMethods } : {}),
    // Its outgoing requests (a private_key_jwt client's jwks_uri) go to the gateway on loopback, which
    // the SSRF guard of its default fetch refuses; drop that guard here.
    fetch: (url: URL | string, init: RequestInit & { dispatcher?: unknown }) => {
      const { dispatcher: _dispatcher, ...rest } = init;
      return globalThis.fetch(url, rest);
    },
    interactions: { url: async (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    // Salesforce issues a refresh token when the `refresh_token` (or `offline_access`) scope was granted.
    issueRefreshToken: async (_ctx: unknown, client: { grantTypeAllowed(type: string): boolean }, code: { scopes: Set<string> }) =>
      client.grantTypeAllowed('refresh_token') && (code.scopes.has('refresh_token') || code.scopes.has('offline_access')),
    rotateRefreshToken: rotateRefreshTokens,
    // Tokens live on their own, not with the (simulated) browser session that approved them.
    expiresWithSession: async () => false,
    // PKCE is optional, as for a Salesforce connected app, but a sent code_challenge is always enforced.
    pkce: { required: () => false },
    findAccount: async (_ctx: unknown, sub: string) => ({ accountId: sub, claims: async () => ({ ...options.accountClaims?.(sub), sub }) }),
    ...(options.claims ? { claims: options.claims } : {}),
    clientBasedCORS: () => false,
    renderError: async (ctx: KoaContext, out: Record<string, string>) => {
      ctx.body = { ...out };
    },
    ttl: {
      AccessToken: options.accessTokenTtlSeconds ?? 3600,
      ClientCredentials: options.accessTokenTtlSeconds ?? 3600,
      AuthorizationCode: 60,
      IdToken: 3600,
      RefreshToken: 90 * 24 * 3600,
      Interaction: 600,
      Session: 3600,
      Grant: 90 * 24 * 3600,
    },
  });

  provider.on('server_error', (_ctx, error) => console.error('authorization server error:', error));

  provider.use(async (ctx, next) => {
    // The login and consent pages: the user approves (or denies) whatever was asked.
    const interaction = /^\/interaction\/[^/]+$/.exec(ctx.path);
    if (interaction && ctx.method === 'GET') {
      const { uid, params } = await provider.interactionDetails(ctx.req, ctx.res);
      const decision = decisions.get(uid) ?? {};
      decisions.delete(uid);
      const accountId = decision.accountId ?? DEFAULT_ACCOUNT_ID;
      let result: object;
      if (decision.deny) {
        result = { error: 'access_denied', error_description: 'The user denied access' };
      } else {
        const grant = new provider.Grant({ accountId, clientId: String(params.client_id) });
        if (typeof params.scope === 'string') grant.addOIDCScope(params.scope);
        result = { login: { accountId }, consent: { grantId: await grant.save() } };
      }
      ctx.respond = false;
      await provider.interactionFinished(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
      return;
    }

    // Salesforce's identity URL.
    const identity = /^\/id\/([^/]+)\/([^/]+)$/.exec(ctx.path);
    if (identity && ctx.method === 'GET') {
      const bearer = /^Bearer (.+)$/i.exec(ctx.get('authorization'))?.[1];
      const token = bearer ? ((await provider.AccessToken.find(bearer)) ?? (await clientCredentialsToken(bearer))) : undefined;
      if (!token || token.isExpired) {
        ctx.status = 401;
        ctx.body = { error: 'Bad_OAuth_Token' };
      } else if (identity[1] !== ORGANIZATION_ID || identity[2] !== token.accountId) {
        ctx.status = 403;
        ctx.body = { error: 'Bad_Id' };
      } else {
        ctx.body = identityDocument(issuer, token.accountId);
      }
      return;
    }

    if (ctx.method === 'GET' && ctx.path.startsWith('/.well-known/')) state.discoveryRequests += 1;

    if (ctx.method === 'POST' && ctx.path === '/request') {
      await next();
      if (ctx.status === 201) state.pushedRequests += 1;
      return;
    }

    if (ctx.method === 'POST' && ctx.path === paths.revocation) {
      await next();
      if (ctx.status === 200) state.revocations += 1;
      return;
    }

    if (!(ctx.method === 'POST' && ctx.path === paths.token)) {
      await next();
      return;
    }

    // The token endpoint.
    state.tokenRequests += 1;
    const fault = faults.shift();
    if (fault !== undefined) {
      const form = new URLSearchParams(await readBody(ctx.req));
      const verifier = form.get('code_verifier');
      if (verifier) state.codeVerifiers.push(verifier);
      countTokenRequest(form.get('grant_type') ?? '', verifier !== null);
      if (fault === 'hang') {
        ctx.respond = false; // the response is never written; close() ends the connection
        return;
      }
      ctx.status = fault;
      if (fault === 503) {
        ctx.set('retry-after', '1');
        ctx.type = 'html';
        ctx.body = '<html><head><title>Service Unavailable</title></head><body><h1>Down for maintenance</h1></body></html>';
      } else if (fault === 429) {
        ctx.set('retry-after', '1');
        ctx.body = { error: 'rate_limit_exceeded', error_description: 'too many requests' };
      } else {
        ctx.body = { error: 'unknown_error', error_description: 'retry your request' };
      }
      return;
    }

    await next();
    const body = ctx.oidc?.body ?? {};
    const grantType = typeof body.grant_type === 'string' ? body.grant_type : '';
    if (typeof body.code_verifier === 'string') state.codeVerifiers.push(body.code_verifier);
    countTokenRequest(grantType, body.code_verifier !== undefined, body);
    if (typeof body.client_assertion === 'string') {
      const header = JSON.parse(Buffer.from(body.client_assertion.split('.')[0] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
      state.lastClientAssertion = { type: String(body.client_assertion_type), header };
    }

    const response = ctx.body as Record<string, unknown> | undefined;
    if (ctx.status === 200 && typeof response?.access_token === 'string') {
      const accountId =
        ctx.oidc?.entities.AccessToken?.accountId ??
        (ctx.oidc?.entities.ClientCredentials ? runAsByClient.get(ctx.oidc.entities.ClientCredentials.clientId) : undefined) ??
        DEFAULT_ACCOUNT_ID;
      const id = identityUrl(accountId);
      const issuedAt = String(Date.now());
      // Salesforce signs id + issued_at with the client secret (HMAC-SHA256, base64).
      const secret = ctx.oidc?.entities.Client?.clientSecret ?? '';
      const signature = createHmac('sha256', secret).update(id + issuedAt).digest('base64');
      if (grantType === 'refresh_token' && !rotateRefreshTokens) delete response.refresh_token;
      if (idTokenRewrite && typeof response.id_token === 'string') response.id_token = idTokenRewrite(response.id_token);
      ctx.body = { ...response, instance_url: issuer, id, issued_at: issuedAt, signature };
    }
  });

  function countTokenRequest(grantType: string, hadCodeVerifier: boolean, body: Record<string, unknown> = {}) {
    if (grantType === 'refresh_token') state.refreshRequests += 1;
    if (grantType === 'client_credentials') state.clientCredentialsRequests += 1;
    const extraParams = Object.fromEntries(
      Object.entries(body).filter((entry): entry is [string, string] => !STANDARD_TOKEN_PARAMS.has(entry[0]) && typeof entry[1] === 'string'),
    );
    state.lastTokenRequest = { grantType, hadCodeVerifier, ...(Object.keys(extraParams).length > 0 ? { extraParams } : {}) };
  }

  /** A client credentials token, as the identity URL sees it: acting for its client's run-as user. */
  async function clientCredentialsToken(bearer: string) {
    const token = await provider.ClientCredentials.find(bearer);
    const accountId = token ? runAsByClient.get(token.clientId) : undefined;
    return token && accountId ? { accountId, clientId: token.clientId, isExpired: token.isExpired } : undefined;
  }

  handler = provider.callback();

  async function authorize(authorizationUrl: string, authorizeOptions: { deny?: boolean; accountId?: string } = {}): Promise<URL> {
    const cookies = new Map<string, string>();
    let url = new URL(authorizationUrl);
    // The gateway's /oauth/start launch binds the attempt to this browser, then sends it here.
    const gatewayJar = new CookieJar();
    if (url.origin !== issuer) {
      const launched = await fetch(url, { redirect: 'manual' });
      gatewayJar.store(url, launched);
      await launched.body?.cancel();
      url = new URL(launched.headers.get('location') ?? url.href, url);
    }
    for (let hop = 0; hop < 10; hop += 1) {
      const response = await fetch(url, {
        redirect: 'manual',
        headers: { cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; ') },
      });
      for (const cookie of response.headers.getSetCookie()) {
        const [pair = ''] = cookie.split(';');
        const separator = pair.indexOf('=');
        const name = pair.slice(0, separator).trim();
        const value = pair.slice(separator + 1).trim();
        if (value === '' || /expires=Thu, 01 Jan 1970/i.test(cookie)) cookies.delete(name);
        else cookies.set(name, value);
      }
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location) {
        throw new Error(`authorization stopped at ${url} with HTTP ${response.status}: ${await response.text()}`);
      }
      await response.body?.cancel();
      url = new URL(location, url);
      if (url.origin !== issuer) {
        rememberBrowser(url, gatewayJar);
        return url;
      }
      const interactionUid = /^\/interaction\/([^/]+)$/.exec(url.pathname)?.[1];
      if (interactionUid) decisions.set(interactionUid, authorizeOptions);
    }
    throw new Error('authorization redirected too often');
  }

  return {
    issuer,
    state,
    salesforceEnv: () => ({
      LATCHKEY_SALESFORCE_AUTHORIZATION_URL: `${issuer}${paths.authorization}`,
      LATCHKEY_SALESFORCE_TOKEN_URL: `${issuer}${paths.token}`,
      LATCHKEY_SALESFORCE_REVOCATION_URL: `${issuer}${paths.revocation}`,
      LATCHKEY_SALESFORCE_API_URL: issuer,
      LATCHKEY_SALESFORCE_ISSUER: issuer,
    }),
    authorize,
    failNextTokenRequests(count, status) {
      for (let i = 0; i < count; i += 1) faults.push(status);
    },
    hangNextTokenRequest() {
      faults.push('hang');
    },
    rewriteIdTokens(rewrite) {
      idTokenRewrite = rewrite;
    },
    async revokeAllGrants(accountId) {
      store.revokeGrants(accountId);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The JSON of Salesforce's identity URL (GET https://login.salesforce.com/id/<org>/<user>). */
function identityDocument(issuer: string, accountId: string) {
  const username = `${accountId.toLowerCase()}@example.com`;
  const rest = `${issuer}/services/data/v{version}/`;
  return {
    id: `${issuer}/id/${ORGANIZATION_ID}/${accountId}`,
    asserted_user: true,
    user_id: accountId,
    organization_id: ORGANIZATION_ID,
    username,
    nick_name: 'testuser',
    display_name: 'Test User',
    email: username,
    email_verified: true,
    first_name: 'Test',
    last_name: 'User',
    timezone: 'America/Los_Angeles',
    photos: { picture: `${issuer}/profilephoto/005/F`, thumbnail: `${issuer}/profilephoto/005/T` },
    addr_street: null,
    addr_city: null,
    addr_state: null,
    addr_country: 'US',
    addr_zip: null,
    mobile_phone: null,
    mobile_phone_verified: false,
    is_lightning_login_user: false,
    status: { created_date: null, body: null },
    urls: {
      enterprise: `${issuer}/services/Soap/c/{version}/${ORGANIZATION_ID}`,
      partner: `${issuer}/services/Soap/u/{version}/${ORGANIZATION_ID}`,
      rest,
      sobjects: `${rest}sobjects/`,
      search: `${rest}search/`,
      query: `${rest}query/`,
      profile: `${issuer}/${accountId}`,
    },
    active: true,
    user_type: 'STANDARD',
    language: 'en_US',
    locale: 'en_US',
    utcOffset: -28800000,
    last_modified_date: '2024-01-01T00:00:00.000+0000',
    is_app_installed: true,
  };
}

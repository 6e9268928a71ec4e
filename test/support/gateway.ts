// Starts a real gateway (real HTTP port, real database) for a test, capturing its log lines so
// tests can prove no secret reaches them.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { loadConfig, type Config } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { startGateway, type RunningGateway } from '../../src/server.js';
import { createTestDatabase } from './database.js';
import { decryptSecret, secretContext } from '../../src/crypto/token-cipher.js';

export interface GraphQLResult<TData = any> {
  status: number;
  headers: Headers;
  body: { data?: TData | null; errors?: Array<{ message: string; path?: string[]; extensions?: Record<string, any> }> };
}

export type GraphQLCall = <TData = any>(query: string, variables?: Record<string, unknown>, token?: string) => Promise<GraphQLResult<TData>>;

/** POSTs GraphQL to a gateway over real HTTP, with a bearer token when given. */
export function graphqlClient(graphqlUrl: string): GraphQLCall {
  return async (query, variables, token) => {
    const response = await fetch(graphqlUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify({ query, variables }),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: JSON.parse(text) };
  };
}

/** A response's extensions.rateLimits: what the request cost upstream, per API host. */
export function rateLimitsOf(result: { body: object }): Record<string, any> {
  return (result.body as { extensions?: { rateLimits?: Record<string, any> } }).extensions?.rateLimits ?? {};
}

export interface TestGateway {
  url: string;
  graphqlUrl: string;
  publicUrl: string;
  adminToken: string;
  config: Config;
  gateway: RunningGateway;
  logs: string[];
  databaseUrl: string;
  gql<TData = any>(query: string, variables?: Record<string, unknown>, token?: string): Promise<GraphQLResult<TData>>;
  createSite(name?: string, allowedOrigins?: string[]): Promise<{ siteId: string; token: string }>;
  close(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function startTestGateway(env: Record<string, string> = {}, options: { databaseUrl?: string } = {}): Promise<TestGateway> {
  const database = options.databaseUrl ? undefined : await createTestDatabase();
  const databaseUrl = options.databaseUrl ?? database!.url;
  const port = await freePort();
  const adminToken = `admin-${randomBytes(16).toString('hex')}`;
  const config = loadConfig({
    LATCHKEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    LATCHKEY_ADMIN_TOKEN: adminToken,
    LATCHKEY_LOG_LEVEL: 'debug',
    LATCHKEY_PROVIDER_TIMEOUT_SECONDS: '3',
    // Tests that write the database directly act like another instance, whose writes the connection
    // cache would show only after its TTL: off unless a test asks for it.
    LATCHKEY_CONNECTION_CACHE_MS: '0',
    ...env,
    DATABASE_URL: databaseUrl,
    PORT: String(port),
    HOST: '127.0.0.1',
    LATCHKEY_PUBLIC_URL: env.LATCHKEY_PUBLIC_URL ?? `http://127.0.0.1:${port}`,
  });
  const logs: string[] = [];
  const gateway = await startGateway(config, createLogger('debug', (line) => logs.push(line)));
  const graphqlUrl = `${gateway.url}/graphql`;

  const gql = graphqlClient(graphqlUrl);

  return {
    url: gateway.url,
    graphqlUrl,
    publicUrl: config.publicUrl,
    adminToken,
    config,
    gateway,
    logs,
    databaseUrl,
    gql,
    async createSite(name = 'Test site', allowedOrigins = ['http://app.test:3000']) {
      const result = await gql<{ createSite: { siteToken: string; site: { id: string } } }>(
        'mutation ($input: CreateSiteInput!) { createSite(input: $input) { siteToken site { id } } }',
        { input: { name, allowedOrigins } },
        adminToken,
      );
      if (!result.body.data) throw new Error(`createSite failed: ${JSON.stringify(result.body.errors)}`);
      return { siteId: result.body.data.createSite.site.id, token: result.body.data.createSite.siteToken };
    },
    async close() {
      await gateway.close();
      await database?.cleanup();
    },
  };
}

/** A small browser cookie jar: cookies by host name (browsers ignore the port), with Path and Max-Age (enough for the gateway's binding cookie). */
export class CookieJar {
  private readonly cookies = new Map<string, { host: string; path: string; value: string; expires: number }>();

  store(url: URL, response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
      const at = pair.indexOf('=');
      if (at <= 0) continue;
      const name = pair.slice(0, at);
      let path = '/';
      let expires = Number.POSITIVE_INFINITY;
      for (const attribute of attributes) {
        const [key = '', value = ''] = attribute.split('=');
        if (key.toLowerCase() === 'path') path = value;
        if (key.toLowerCase() === 'max-age') expires = Date.now() + Number(value) * 1000;
      }
      const id = `${url.hostname} ${path} ${name}`;
      if (expires <= Date.now()) this.cookies.delete(id);
      else this.cookies.set(id, { host: url.hostname, path, value: pair.slice(at + 1), expires });
    }
  }

  /** The Cookie header a browser would send to url ('' when none). */
  header(url: URL): string {
    const now = Date.now();
    return [...this.cookies.entries()]
      .filter(([, cookie]) => cookie.host === url.hostname && url.pathname.startsWith(cookie.path) && cookie.expires > now)
      .map(([id, cookie]) => `${id.split(' ')[2]}=${cookie.value}`)
      .join('; ');
  }
}

/**
 * Follows redirects like a browser without fetching the last hop; the jar carries cookies across
 * them, and `cookie` is what the browser would send to `final` (the gateway's binding cookie).
 */
export async function followRedirects(
  start: string,
  stopWhen: (url: URL) => boolean,
  limit = 10,
  jar = new CookieJar(),
): Promise<{ final: URL; response: Response | null; cookie: string; jar: CookieJar; visited: URL[] }> {
  let current = new URL(start);
  const visited: URL[] = [];
  for (let hop = 0; hop < limit; hop += 1) {
    if (stopWhen(current)) {
      rememberBrowser(current, jar);
      return { final: current, response: null, cookie: jar.header(current), jar, visited };
    }
    visited.push(current);
    const cookie = jar.header(current);
    const response = await fetch(current, { redirect: 'manual', headers: cookie ? { cookie } : {} });
    jar.store(current, response);
    const location = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || !location) return { final: current, response, cookie: jar.header(current), jar, visited };
    await response.body?.cancel();
    current = new URL(location, current);
  }
  throw new Error('too many redirects');
}

/** The binding cookie of the browser that reached each callback URL, by its state. */
const cookiesByState = new Map<string, string>();

/** Remembers which browser (jar) reached a callback URL, so a later fetch of it can act as that browser. */
export function rememberBrowser(landing: URL, jar: CookieJar): void {
  const state = landing.searchParams.get('state');
  if (state) cookiesByState.set(state, jar.header(landing));
}

/** The Cookie header of the browser that reached this callback URL ('' when unknown). */
export function browserCookie(callback: URL | string): string {
  return cookiesByState.get(new URL(callback).searchParams.get('state') ?? '') ?? '';
}

/** The provider URL behind an attempt's /oauth/start launch (stored encrypted), without launching it. */
export async function providerUrlOfAttempt(gateway: TestGateway, attemptId: string): Promise<URL> {
  const row = await gateway.gateway.db.authAttempt.findUniqueOrThrow({ where: { id: attemptId } });
  if (!row.providerUrl) throw new Error(`attempt ${attemptId} has no launch`);
  return new URL(decryptSecret(gateway.gateway.services.keyring, row.providerUrl, secretContext('AuthAttempt', 'providerUrl', attemptId)));
}

/** The provider's authorization URL a browser was sent to (the hop after the gateway's /oauth/start launch). */
export function providerUrlOf(visited: readonly URL[]): URL {
  const launch = visited.findIndex((url) => url.pathname.startsWith('/oauth/start/'));
  const provider = launch >= 0 ? visited[launch + 1] : visited[0];
  if (!provider) throw new Error('the browser never reached the provider');
  return provider;
}

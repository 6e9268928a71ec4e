// `latchkey connect SERVICE`: starts an authorization on a running gateway, prints the URL to open
// in a browser and long-polls the attempt until the browser side finishes, like a device flow.
// It speaks only GraphQL over HTTP, with the site token, which it never prints.
import { parseArgs } from 'node:util';
import { loadClientConfig } from '../config.js';

const WAIT_SECONDS = 25;
const MAX_NETWORK_RETRIES = 3;

export interface ConnectIo {
  /** The authorization URL and the result: what a script may read. */
  out(line: string): void;
  /** Progress and errors, for the person at the terminal. */
  err(line: string): void;
}

export const connectUsage = 'latchkey connect SERVICE|custom:SLUG [--scope S]... [--gateway URL] [--token TOKEN]';

/** A failure the command reports in one message; `code` is the gateway's extensions.code when it sent one. */
export class ConnectError extends Error {
  constructor(
    message: string,
    readonly code: string = 'CONNECT_FAILED',
  ) {
    super(message);
    this.name = 'ConnectError';
  }
}

interface GraphQLAnswer<T> {
  data?: T | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

function createClient(gatewayUrl: string, siteToken: string) {
  const endpoint = `${gatewayUrl}/graphql`;

  async function once<T>(query: string, variables: Record<string, unknown>, timeoutSeconds: number): Promise<T> {
    let response: Response;
    try {
      response = await fetch(endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json, application/json',
          authorization: `Bearer ${siteToken}`,
        },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(timeoutSeconds * 1000),
      });
    } catch (error) {
      throw new ConnectError(
        `Could not reach the gateway at ${gatewayUrl} (${error instanceof Error ? error.name : 'error'}): start it with \`npx latchkey serve\` or pass --gateway URL.`,
        'NETWORK_ERROR',
      );
    }
    let answer: GraphQLAnswer<T>;
    try {
      answer = (await response.json()) as GraphQLAnswer<T>;
    } catch {
      throw new ConnectError(`${endpoint} answered HTTP ${response.status} without GraphQL: is --gateway pointing at a Latchkey gateway?`);
    }
    const first = answer.errors?.[0];
    if (first) {
      const code = first.extensions?.code ?? 'ERROR';
      const hint = code === 'UNAUTHENTICATED' ? ' Pass the site token with --token or LATCHKEY_SITE_TOKEN.' : '';
      throw new ConnectError(`${first.message} (${code})${hint}`, code);
    }
    if (!answer.data) throw new ConnectError(`${endpoint} answered HTTP ${response.status} with no data.`);
    return answer.data;
  }

  /** `retries`: how often to try again when the gateway could not be reached (a restart during a long wait). */
  async function request<T>(query: string, variables: Record<string, unknown> = {}, timeoutSeconds = 30, retries = 0): Promise<T> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await once<T>(query, variables, timeoutSeconds);
      } catch (error) {
        if (!(error instanceof ConnectError) || error.code !== 'NETWORK_ERROR' || attempt >= retries) throw error;
        await new Promise((resolve) => setTimeout(resolve, 1000 * 2 ** attempt));
      }
    }
  }

  return { request };
}

const START = `mutation Connect($input: StartAuthInput!) { startAuth(input: $input) { authorizationUrl attemptId expiresAt } }`;
const WAIT = `query Wait($id: ID!, $wait: Int) { authAttempt(id: $id, waitSeconds: $wait) { status error expiresAt } }`;
const WAIT_CUSTOM = `query Wait($id: ID!, $wait: Int) { authAttempt: customAuthAttempt(id: $id, waitSeconds: $wait) { status error expiresAt } }`;
const CONNECTED = `query Connected { secrets { loggedInServices { service foreignUserId foreignUserName grantedScopes { scope } } } }`;
const CONNECTED_CUSTOM = `query Connected($slug: String!) { secrets { custom(slug: $slug) { isLoggedIn foreignUserId foreignUserName grantedScopes { scope } } } }`;

interface Connection {
  foreignUserId: string | null;
  foreignUserName: string | null;
  grantedScopes: Array<{ scope: string }> | null;
}

/** `custom:<slug>` names a service the site defined itself; anything else a catalog service. */
const customSlugOf = (service: string): string | null => /^custom:([a-z][a-z0-9-]*[a-z0-9])$/.exec(service)?.[1] ?? null;

interface Attempt {
  status: 'PENDING' | 'COMPLETED' | 'FAILED' | 'EXPIRED';
  error: string | null;
  expiresAt: string;
}

export interface ConnectOptions {
  service: string;
  scopes: string[];
  gatewayUrl: string;
  siteToken: string;
}

/** Runs the whole command; resolves with the process exit code. */
export async function connect(options: ConnectOptions, io: ConnectIo): Promise<number> {
  const slug = customSlugOf(options.service);
  const service = slug ? options.service : options.service.toUpperCase();
  const client = createClient(options.gatewayUrl, options.siteToken);
  const input = { ...(slug ? { customService: slug } : { service }), ...(options.scopes.length > 0 ? { scopes: options.scopes } : {}) };
  const { startAuth } = await client.request<{ startAuth: { authorizationUrl: string; attemptId: string; expiresAt: string } }>(START, { input });

  io.err(`Open this URL in a browser to connect ${service}:`);
  io.out(startAuth.authorizationUrl);
  io.err(`Waiting for the browser… (the link works until ${new Date(startAuth.expiresAt).toLocaleTimeString()})`);

  for (;;) {
    const { authAttempt } = await client.request<{ authAttempt: Attempt | null }>(
      slug ? WAIT_CUSTOM : WAIT,
      { id: startAuth.attemptId, wait: WAIT_SECONDS },
      WAIT_SECONDS + 15,
      MAX_NETWORK_RETRIES,
    );
    if (!authAttempt) {
      io.err(`The gateway no longer knows attempt ${startAuth.attemptId}: run \`latchkey connect ${service}\` again.`);
      return 1;
    }
    if (authAttempt.status === 'PENDING') {
      const minutes = Math.max(0, Math.ceil((new Date(authAttempt.expiresAt).getTime() - Date.now()) / 60_000));
      io.err(`Still waiting for the browser… (${minutes} min left)`);
      continue;
    }
    if (authAttempt.status === 'EXPIRED') {
      io.err(`The link expired before the browser finished: run \`latchkey connect ${service}\` again and open the new link.`);
      return 1;
    }
    if (authAttempt.status === 'FAILED') {
      io.err(
        `The authorization failed (${authAttempt.error ?? 'unknown error'}): ${
          authAttempt.error === 'access_denied' ? 'access was denied in the browser' : 'the provider or the gateway refused it'
        }. Fix the cause and run \`latchkey connect ${service}\` again.`,
      );
      return 1;
    }
    break;
  }

  const connection = await connectedNow(client, service, slug);
  if (!connection) {
    io.err(`The authorization completed but ${service} is not connected now (another sign-out or connection replaced it): check with the secrets query.`);
    return 1;
  }
  const who = connection.foreignUserId
    ? `${connection.foreignUserName ? `${connection.foreignUserName} ` : ''}(foreignUserId ${connection.foreignUserId})`
    : 'an account whose id the provider did not report';
  io.out(`Connected ${service} as ${who}.`);
  const scopes = (connection.grantedScopes ?? []).map((granted) => granted.scope);
  io.out(`Granted scopes: ${scopes.length > 0 ? scopes.join(' ') : '(none reported)'}`);
  return 0;
}

async function connectedNow(client: ReturnType<typeof createClient>, service: string, slug: string | null): Promise<Connection | undefined> {
  if (slug) {
    const { secrets } = await client.request<{ secrets: { custom: Connection & { isLoggedIn: boolean } } }>(CONNECTED_CUSTOM, { slug }, 30, MAX_NETWORK_RETRIES);
    return secrets.custom.isLoggedIn ? secrets.custom : undefined;
  }
  const { secrets } = await client.request<{ secrets: { loggedInServices: Array<Connection & { service: string }> } }>(CONNECTED, {}, 30, MAX_NETWORK_RETRIES);
  return secrets.loggedInServices.find((candidate) => candidate.service === service);
}

/** Parses the command line and runs `connect`, reporting failures on `io.err`. */
export async function connectCommand(args: string[], env: Readonly<Record<string, string | undefined>>, io: ConnectIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: { scope: { type: 'string', multiple: true }, gateway: { type: 'string' }, token: { type: 'string' } },
    });
  } catch (error) {
    io.err(`${error instanceof Error ? error.message : String(error)}\nUsage: ${connectUsage}`);
    return 2;
  }
  const [service, ...extra] = parsed.positionals;
  if (!service || extra.length > 0 || (!/^[A-Za-z][A-Za-z0-9_]*$/.test(service) && !customSlugOf(service))) {
    io.err(`Name one service, e.g. GITHUB, or custom:SLUG for a service the site defined.\nUsage: ${connectUsage}`);
    return 2;
  }
  try {
    const config = loadClientConfig(env, { gatewayUrl: parsed.values.gateway, siteToken: parsed.values.token });
    if (!config.siteToken) {
      io.err('No site token: set LATCHKEY_SITE_TOKEN (preferred: it stays out of the process list) or pass --token.');
      return 2;
    }
    const scopes = (parsed.values.scope ?? []).flatMap((scope) => scope.split(/\s+/)).filter(Boolean);
    return await connect({ service, scopes, gatewayUrl: config.gatewayUrl, siteToken: config.siteToken }, io);
  } catch (error) {
    io.err(error instanceof Error ? error.message : String(error));
    return 1;
  }
}

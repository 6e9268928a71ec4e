// `latchkey connect-link [--ttl SECONDS]`: asks a running gateway for a short-lived link to its
// connect page and prints it. Speaks only GraphQL over HTTP with the site token, which it never prints.
import { parseArgs } from 'node:util';
import { loadClientConfig } from '../config.js';
import type { ConnectIo } from './connect.js';

export const connectLinkUsage = 'latchkey connect-link [--ttl SECONDS] [--gateway URL] [--token TOKEN]';

const CREATE = 'mutation ConnectLink($ttl: Int) { createConnectLink(ttlSeconds: $ttl) { url expiresAt } }';

interface Answer {
  data?: { createConnectLink: { url: string; expiresAt: string } } | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

/** Parses the command line, asks the gateway for a link and prints it; resolves with the exit code. */
export async function connectLinkCommand(args: string[], env: Readonly<Record<string, string | undefined>>, io: ConnectIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { ttl: { type: 'string' }, gateway: { type: 'string' }, token: { type: 'string' } } });
  } catch (error) {
    io.err(`${error instanceof Error ? error.message : String(error)}\nUsage: ${connectLinkUsage}`);
    return 2;
  }
  const ttl = parsed.values.ttl === undefined ? undefined : Number(parsed.values.ttl);
  if (ttl !== undefined && !Number.isInteger(ttl)) {
    io.err(`--ttl must be a whole number of seconds.\nUsage: ${connectLinkUsage}`);
    return 2;
  }
  let config;
  try {
    config = loadClientConfig(env, { gatewayUrl: parsed.values.gateway, siteToken: parsed.values.token });
  } catch (error) {
    io.err(error instanceof Error ? error.message : String(error));
    return 2;
  }
  if (!config.siteToken) {
    io.err('No site token: set LATCHKEY_SITE_TOKEN (preferred: it stays out of the process list) or pass --token.');
    return 2;
  }

  let response: Response;
  try {
    response = await fetch(`${config.gatewayUrl}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
        authorization: `Bearer ${config.siteToken}`,
      },
      body: JSON.stringify({ query: CREATE, variables: { ttl } }),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    io.err(`Could not reach the gateway at ${config.gatewayUrl} (${error instanceof Error ? error.name : 'error'}): start it with \`npx latchkey serve\` or pass --gateway URL.`);
    return 1;
  }
  let answer: Answer;
  try {
    answer = (await response.json()) as Answer;
  } catch {
    io.err(`${config.gatewayUrl}/graphql answered HTTP ${response.status} without GraphQL: is --gateway pointing at a Latchkey gateway?`);
    return 1;
  }
  const link = answer.data?.createConnectLink;
  if (!link) {
    const first = answer.errors?.[0];
    const code = first?.extensions?.code ?? 'ERROR';
    const hint = code === 'UNAUTHENTICATED' ? ' Pass the site token with --token or LATCHKEY_SITE_TOKEN.' : '';
    io.err(`${first?.message ?? `HTTP ${response.status}`} (${code})${hint}`);
    return 1;
  }
  io.err(`Open this link in a browser to connect services. It works until ${new Date(link.expiresAt).toLocaleString()}; anyone holding it acts for the site until then.`);
  io.out(link.url);
  return 0;
}

// The authenticated proxy: one request to a connected service's API, as its owner, with the
// credential added by the gateway. Shared by the GraphQL `proxy` fields and the MCP `call_api` tool.
import { siteCallerOf, type GraphQLContext } from '../context.js';
import { badUserInput, forbidden } from '../errors.js';
import type { ServiceKey } from '../providers/types.js';
import { parseServiceKey } from '../registry/service-registry.js';
import { validEndUser } from '../connections/owners.js';
import { apiTargetFor } from '../passthrough/api-target.js';
import type { UpstreamMethod } from '../passthrough/upstream-pool.js';
import { usageFor } from '../passthrough/usage.js';
import type { ServiceSecretView } from '../connections/secrets-view.js';
import { assertMayUseProviderTokens, secretsFor } from '../schema/secrets.js';
import { proxyBody, proxyPath, proxyPayload, proxyQuery, proxyRequestHeaders, proxyResponseHeaders } from './proxy-request.js';

/** Whose connection a call uses: the site itself (endUser null) or one of its end users; which account. */
export interface Owner {
  endUser: string | null;
  account: string | null;
}

export interface ProxyArgs {
  service: string;
  endUser?: string | null;
  account?: string | null;
  method?: UpstreamMethod;
  path: string;
  query?: unknown;
  headers?: unknown;
  body?: unknown;
  bodyText?: string | null;
}

export interface ProxyResponse {
  status: number;
  headers: Record<string, string>;
  json: unknown;
  text: string | null;
}

const MAX_ACCOUNT_LENGTH = 256;
/** Larger answers are refused (UPSTREAM_ERROR) rather than held in memory and sent on. */
export const MAX_PROXY_RESPONSE_BYTES = 5 * 1024 * 1024;

export { parseServiceKey };

/** Validates the owner arguments; whether the caller may address that end user is decided by secretsFor. */
export function ownerOf(args: { endUser?: string | null; account?: string | null }): Owner {
  const endUser = args.endUser ?? null;
  const account = args.account ?? null;
  if (endUser !== null) validEndUser(endUser);
  if (account !== null && (account.length === 0 || account.length > MAX_ACCOUNT_LENGTH)) {
    throw badUserInput(`account must be 1 to ${MAX_ACCOUNT_LENGTH} characters: a connection's account (its foreignUserId, or "default").`, 'account');
  }
  return { endUser, account };
}

/** The owner's connection to `service`, as the secrets view reads it (refreshed when due). */
export async function connectionFor(context: GraphQLContext, service: ServiceKey, owner: Owner): Promise<ServiceSecretView> {
  // secretsFor refuses (FORBIDDEN) an end user other than the one a bound token addresses.
  const secrets = secretsFor(context, owner.endUser);
  return secrets.getByKey(service, owner.account);
}

/** One proxied request as the caller (or the owner it names). */
export async function proxyCall(context: GraphQLContext, args: ProxyArgs): Promise<ProxyResponse> {
  const caller = siteCallerOf(context);
  assertMayUseProviderTokens(context);
  const service = parseServiceKey(args.service);
  const owner = ownerOf(args);
  // Checked before any upstream work: a bound token naming another end user is FORBIDDEN.
  secretsFor(context, owner.endUser);
  const method = args.method ?? 'GET';
  const { path, search } = proxyPath(args.path);
  const query = proxyQuery(search, args.query);
  const headers = proxyRequestHeaders(args.headers);
  const body = proxyBody(method, args.body, args.bodyText, headers);
  const allowed = caller.services === null || caller.services.includes(service);
  if (!allowed) throw forbidden(`This token may not use ${service}: use a token whose services include it.`);
  const target = await apiTargetFor(context.services, caller.siteId, service);

  const session = context.services.passthrough.session({
    service,
    target,
    connection: () => connectionFor(context, service, owner),
    allowed,
    signal: context.request.signal,
    usage: usageFor(context),
  });
  const result = await session.raw({ method, path: path + query, headers, body, maxResponseBytes: MAX_PROXY_RESPONSE_BYTES });
  const payload = proxyPayload(result.headers['content-type'], result.text);
  return { status: result.status, headers: proxyResponseHeaders(result.headers), ...payload };
}

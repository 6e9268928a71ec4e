// Machine-to-machine connections: the site's OAuth app asks the provider for a token in its own
// name (RFC 6749 §4.4). There is no refresh token; when the token is about to expire the same
// request is simply made again, with the scopes and provider parameters kept on the connection.
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { AuditTrail } from '../audit.js';
import { badUserInput, providerError, upstreamError, type LatchkeyError } from '../errors.js';
import { InvalidScopeError, normalizeRequestedScopes } from '../providers/index.js';
import { serviceLabel } from '../providers/custom.js';
import { keyFactsOf } from '../registry/service-keys.js';
import { requireCatalogOAuth } from '../registry/service-registry.js';
import type { ProviderDefinition, ServiceKey } from '../providers/types.js';
import { OAuthFailure, requestClientCredentials } from '../oauth/grants.js';
import { fetchIdentity, type ForeignIdentity } from '../oauth/identity.js';
import type { ProviderApps, ProviderClient } from '../oauth/provider-apps.js';
import type { TokenSet } from '../oauth/token-set.js';
import { siteOwner, type ConnectionRow, type ConnectionStore } from './connection-store.js';
import { backoffDelayMs } from './token-refresh.js';

/** providerData keys under which a connection keeps what its re-requests must send again. */
const SCOPE_KEY = 'clientCredentials.scope';
const PARAMETER_PREFIX = 'clientCredentials.param.';
const MAX_PARAMETER_LENGTH = 200;
/** A provider's Retry-After is honoured up to this long. */
const RETRY_AFTER_MAX_MS = 60 * 60_000;
/** OAuth errors after which asking again cannot help until the app or its parameters change. */
const RECONFIGURE_ERRORS = new Set(['invalid_client', 'unauthorized_client', 'invalid_grant', 'invalid_scope', 'unsupported_grant_type']);

export interface ClientCredentialsInput {
  service: ServiceKey;
  scopes?: readonly string[] | null | undefined;
  parameters?: ReadonlyArray<{ name: string; value: string }> | null | undefined;
}

export interface ClientCredentialsDeps {
  config: Config;
  store: ConnectionStore;
  apps: ProviderApps;
  audit: AuditTrail;
  logger: Logger;
}

export type ReRequestDeps = Pick<ClientCredentialsDeps, 'store' | 'apps' | 'audit' | 'logger'>;

function requireSupport(provider: ProviderDefinition): void {
  if (provider.supportsClientCredentials) return;
  const { message, field } = keyFactsOf(provider.service).clientCredentialsRemedy(provider.friendlyServiceName);
  throw badUserInput(message, field);
}

/** Exactly the scopes asked for (none: the app's configured ones); required user scopes are not added. */
function requestedScopes(provider: ProviderDefinition, scopes: readonly string[] | null | undefined): string[] {
  if (!scopes || scopes.length === 0) return [];
  try {
    const asked = new Set(scopes);
    return normalizeRequestedScopes(provider, scopes).filter((scope) => asked.has(scope));
  } catch (error) {
    throw badUserInput(error instanceof InvalidScopeError ? error.message : 'invalid scopes', 'scopes');
  }
}

/** The provider parameters, checked against what the provider file declares. */
export function checkParameters(
  provider: ProviderDefinition,
  given: ReadonlyArray<{ name: string; value: string }> | null | undefined,
): Record<string, string> {
  const declared = provider.clientCredentials?.params ?? [];
  const values: Record<string, string> = {};
  for (const { name, value } of given ?? []) {
    const definition = declared.find((candidate) => candidate.name === name);
    if (!definition) {
      const known = declared.map((candidate) => candidate.name).join(', ');
      throw badUserInput(
        `${provider.friendlyServiceName} takes no client credentials parameter ${JSON.stringify(name.slice(0, 60))}${known ? ` (it takes ${known})` : ' (it takes none)'}.`,
        'parameters',
      );
    }
    if (name in values) throw badUserInput(`The parameter ${name} is given twice.`, 'parameters');
    if (value.length === 0 || value.length > MAX_PARAMETER_LENGTH) {
      throw badUserInput(`The parameter ${name} must be 1 to ${MAX_PARAMETER_LENGTH} characters.`, 'parameters');
    }
    if (definition.allowedValues && !definition.allowedValues.includes(value)) {
      throw badUserInput(`The parameter ${name} must be one of ${definition.allowedValues.join(', ')}.`, 'parameters');
    }
    if (definition.pattern && !new RegExp(`^(?:${definition.pattern})$`).test(value)) {
      throw badUserInput(`The parameter ${name} is not valid: ${definition.description}`, 'parameters');
    }
    values[name] = value;
  }
  const missing = declared.filter((definition) => definition.required && !(definition.name in values));
  if (missing.length > 0) {
    throw badUserInput(
      `${provider.friendlyServiceName} needs the client credentials parameter${missing.length > 1 ? 's' : ''} ${missing
        .map((definition) => `${definition.name} (${definition.description})`)
        .join('; ')}.`,
      'parameters',
    );
  }
  return values;
}

function checkTokenEndpoint(provider: ProviderDefinition, client: ProviderClient): void {
  const refused = provider.clientCredentials?.refusedTokenHosts;
  const host = new URL(client.endpoints.token).hostname;
  if (refused && refused.hosts.includes(host)) {
    throw badUserInput(`${provider.friendlyServiceName} does not offer the client credentials grant on ${host}: ${refused.hint}.`, 'service');
  }
  if (!client.app.clientSecret) {
    throw badUserInput(
      `The client credentials grant needs the OAuth app's client secret: ${keyFactsOf(provider.service).clientSecretRemedy(provider.friendlyServiceName)}.`,
      'service',
    );
  }
}

/** What a re-request must send again, kept beside the provider's own fields. */
function remembered(scopes: readonly string[], parameters: Record<string, string>): TokenSet['providerData'] {
  const data: TokenSet['providerData'] = { [SCOPE_KEY]: scopes.join(' ') };
  for (const [name, value] of Object.entries(parameters)) data[`${PARAMETER_PREFIX}${name}`] = value;
  return data;
}

function recall(row: ConnectionRow): { scopes: string[]; parameters: Record<string, string> } {
  const data = row.providerData && typeof row.providerData === 'object' && !Array.isArray(row.providerData) ? (row.providerData as Record<string, unknown>) : {};
  const scope = typeof data[SCOPE_KEY] === 'string' ? data[SCOPE_KEY] : '';
  const parameters: Record<string, string> = {};
  for (const [key, value] of Object.entries(data)) {
    if (key.startsWith(PARAMETER_PREFIX) && typeof value === 'string') parameters[key.slice(PARAMETER_PREFIX.length)] = value;
  }
  return { scopes: scope.split(' ').filter(Boolean), parameters };
}

function describeFailure(provider: ProviderDefinition, error: OAuthFailure, retryAt?: Date): LatchkeyError {
  if (error.kind === 'transient') {
    const when = retryAt ? `Latchkey asks again after ${retryAt.toISOString()}; try again then` : 'try again shortly';
    return upstreamError(provider.service, `${provider.friendlyServiceName} did not issue a token for now (${error.error}); ${when}.`, error.status);
  }
  return providerError(provider.service, provider.friendlyServiceName, error.error, 'check the OAuth app: it must allow the client credentials grant');
}

/** connectClientCredentials: asks for an app token and stores it as the site's connection to the service. */
export async function connectWithClientCredentials(deps: ClientCredentialsDeps, siteId: string, input: ClientCredentialsInput): Promise<ConnectionRow> {
  // A catalog service that never offers the grant is refused before its OAuth app is looked for.
  if (keyFactsOf(input.service).family === 'catalog') requireSupport(requireCatalogOAuth(input.service));
  const client = await deps.apps.requireClient(siteId, input.service);
  const provider = client.provider;
  requireSupport(provider);
  const scopes = requestedScopes(provider, input.scopes);
  const parameters = checkParameters(provider, input.parameters);
  checkTokenEndpoint(provider, client);

  let tokens: TokenSet;
  try {
    tokens = await requestClientCredentials(client.config, provider, scopes, parameters);
  } catch (error) {
    if (!(error instanceof OAuthFailure)) throw error;
    await deps.audit({ type: 'auth.failed', siteId, service: input.service, detail: { grantType: 'client_credentials', error: error.error } });
    throw describeFailure(provider, error);
  }

  let identity: ForeignIdentity | null = null;
  if (!provider.clientCredentials?.noIdentity) {
    try {
      identity = await fetchIdentity(provider, client.endpoints, tokens, deps.config.providerTimeoutSeconds, client.fetch);
    } catch (error) {
      deps.logger.warn('identity lookup failed; connection stored without foreignUserId', {
        service: input.service,
        reason: error instanceof Error ? error.message.slice(0, 200) : 'unknown',
      });
    }
  }
  tokens.providerData = { ...tokens.providerData, ...remembered(scopes, parameters) };
  const connection = await deps.store.saveAuthorized(siteOwner(siteId), input.service, tokens, identity, false, 'CLIENT_CREDENTIALS');
  await deps.audit({
    type: 'auth.completed',
    siteId,
    service: input.service,
    connectionId: connection.id,
    detail: { grantType: 'client_credentials', grantedScopes: tokens.grantedScopes },
  });
  return connection;
}

/**
 * The refresh of a CLIENT_CREDENTIALS connection: the same request again. A refusal that only a
 * change of the app can cure marks the connection NEEDS_REAUTH; anything else leaves it as it was.
 */
export async function reRequestClientCredentials(deps: ReRequestDeps, row: ConnectionRow): Promise<ConnectionRow> {
  const service = row.service as ServiceKey;
  const client = await deps.apps.clientFor(row.siteId, service);
  const provider = client?.provider;
  if (!client || !provider) {
    throw upstreamError(service, `${serviceLabel(service)}'s app token expired and no OAuth app is configured to ask for a new one: restore the site's or the gateway's client credentials.`);
  }
  const { scopes, parameters } = recall(row);
  try {
    const tokens = await requestClientCredentials(client.config, provider, scopes, parameters);
    tokens.providerData = { ...tokens.providerData, ...remembered(scopes, parameters) };
    const saved = await deps.store.saveRefreshed(row, tokens);
    if (!saved) return (await deps.store.findById(row.id)) ?? row;
    await deps.audit({ type: 'token.refreshed', siteId: row.siteId, service, connectionId: row.id, detail: { grantType: 'client_credentials' } });
    return saved;
  } catch (error) {
    if (!(error instanceof OAuthFailure)) throw error;
    await deps.audit({
      type: 'token.refresh_failed',
      siteId: row.siteId,
      service,
      connectionId: row.id,
      detail: { grantType: 'client_credentials', error: error.error, kind: error.kind },
    });
    if (error.kind === 'rejected' && RECONFIGURE_ERRORS.has(error.error)) {
      const reason = `${provider.friendlyServiceName} refused the client credentials (${error.error}); fix the OAuth app, then call connectClientCredentials again`;
      const updated = await deps.store.markRefreshFailed(row, 'NEEDS_REAUTH', reason);
      if (!updated) return (await deps.store.findById(row.id)) ?? row;
      await deps.audit({ type: 'connection.needs_reauth', siteId: row.siteId, service, connectionId: row.id, detail: { reason } });
      return updated;
    }
    // Anything else keeps the connection, and backs off as a failed refresh does.
    const delayMs =
      error.retryAfterSeconds !== undefined
        ? Math.min(RETRY_AFTER_MAX_MS, Math.max(1000, error.retryAfterSeconds * 1000))
        : backoffDelayMs(row.refreshFailures + 1);
    const nextRefreshAt = new Date(Date.now() + delayMs);
    await deps.store.markRefreshFailed(row, 'ACTIVE', `${error.error}: ${error.message}`, { nextRefreshAt });
    throw describeFailure(provider, error, nextRefreshAt);
  }
}

// Connections whose credential is not OAuth: an API key, or a Basic user name and password. The
// credential is checked against the provider when its file has a check request (a refusal stores
// nothing), then stored encrypted like a token. It never reaches a log line, an error or a URL the
// caller sees.
import type { AuditTrail } from '../audit.js';
import type { Config } from '../config.js';
import { badUserInput, LatchkeyError, upstreamError } from '../errors.js';
import type { Logger } from '../logger.js';
import { USER_AGENT } from '../oauth/client-configuration.js';
import type { ServiceEntry, ServiceRegistry } from '../registry/service-registry.js';
import type { ConnectionOwner, ConnectionRow, ConnectionStore } from './connection-store.js';

export interface ConnectCredentialsInput {
  service: string;
  endUser?: string | null | undefined;
  apiKey?: string | null | undefined;
  username?: string | null | undefined;
  password?: string | null | undefined;
}

export const END_USER_PATTERN = /^[A-Za-z0-9._:@+|-]{1,128}$/;
const MAX_SECRET_LENGTH = 4096;
const MAX_USERNAME_LENGTH = 256;
// Printable ASCII without space: what an API key is, and all a header value may safely carry.
const API_KEY_PATTERN = /^[\x21-\x7E]+$/;
const CONTROL_CHARACTERS = /[\x00-\x1F\x7F]/;

export interface CredentialConnectorDeps {
  config: Pick<Config, 'providerTimeoutSeconds'>;
  registry: Pick<ServiceRegistry, 'resolve' | 'apiBaseUrlOf'>;
  store: Pick<ConnectionStore, 'saveAuthorized'>;
  audit: AuditTrail;
  logger: Logger;
}

type Credential = { type: 'API_KEY'; apiKey: string } | { type: 'BASIC'; username: string; password: string };

/** The owner an `endUser` argument names: the site itself when omitted. */
export function ownerOf(siteId: string, endUser: string | null | undefined): ConnectionOwner {
  if (endUser === undefined || endUser === null) return { siteId, ownerType: 'SITE', ownerId: '', accountKey: '' };
  if (!END_USER_PATTERN.test(endUser)) {
    throw badUserInput('endUser must be 1 to 128 characters of A-Z a-z 0-9 . _ : @ + | -.', 'endUser');
  }
  return { siteId, ownerType: 'VISITOR', ownerId: endUser, accountKey: '' };
}

function credentialOf(entry: ServiceEntry, input: ConnectCredentialsInput): Credential {
  const given = (value: string | null | undefined) => value !== undefined && value !== null;
  if (entry.authModes.includes('API_KEY')) {
    if (given(input.username) || given(input.password)) {
      throw badUserInput(`${entry.label} takes an API key: pass apiKey, without username and password.`, 'apiKey');
    }
    const apiKey = input.apiKey ?? '';
    if (apiKey.length === 0) throw badUserInput(`Pass the ${entry.label} API key as apiKey.`, 'apiKey');
    if (apiKey.length > MAX_SECRET_LENGTH || !API_KEY_PATTERN.test(apiKey)) {
      throw badUserInput(
        `apiKey must be at most ${MAX_SECRET_LENGTH} printable ASCII characters without spaces: copy the key exactly as ${entry.label} shows it.`,
        'apiKey',
      );
    }
    return { type: 'API_KEY', apiKey };
  }
  if (entry.authModes.includes('BASIC')) {
    if (given(input.apiKey)) throw badUserInput(`${entry.label} takes a user name and password: pass username and password, not apiKey.`, 'apiKey');
    const username = input.username ?? '';
    const password = input.password ?? '';
    if (username.length === 0 || password.length === 0) {
      throw badUserInput(`Pass both username and password for ${entry.label}.`, username.length === 0 ? 'username' : 'password');
    }
    if (username.length > MAX_USERNAME_LENGTH || username.includes(':') || CONTROL_CHARACTERS.test(username) || username.trim() !== username) {
      throw badUserInput(
        `username must be at most ${MAX_USERNAME_LENGTH} characters, without ":", control characters or surrounding spaces.`,
        'username',
      );
    }
    if (password.length > MAX_SECRET_LENGTH || CONTROL_CHARACTERS.test(password)) {
      throw badUserInput(`password must be at most ${MAX_SECRET_LENGTH} characters, without control characters.`, 'password');
    }
    return { type: 'BASIC', username, password };
  }
  throw badUserInput(
    entry.oauth
      ? `${entry.label} is connected with OAuth, not an API key: use startAuth.`
      : `${entry.label} cannot be connected with connectCredentials.`,
    'service',
  );
}

export function createCredentialConnector(deps: CredentialConnectorDeps) {
  /** The provider's verdict on a credential; throws PROVIDER_ERROR (refused) or UPSTREAM_ERROR (no verdict). */
  async function check(entry: ServiceEntry, credential: Credential): Promise<void> {
    const check = entry.credentials?.check;
    const base = deps.registry.apiBaseUrlOf(entry.key);
    if (!check || !base) return;
    const path = credential.type === 'BASIC' ? check.path.replaceAll('{username}', encodeURIComponent(credential.username)) : check.path;
    const url = new URL(`${base.replace(/\/+$/, '')}${path}`);
    const headers: Record<string, string> = {
      'user-agent': USER_AGENT,
      ...Object.fromEntries(Object.entries(entry.api?.defaultHeaders ?? {}).map(([name, value]) => [name.toLowerCase(), value])),
    };
    const placement = entry.credentials?.apiKey;
    if (credential.type === 'BASIC') {
      headers.authorization = `Basic ${Buffer.from(`${credential.username}:${credential.password}`, 'utf8').toString('base64')}`;
    } else if (placement?.in === 'header') {
      headers[placement.name.toLowerCase()] = placement.format.replaceAll('{apiKey}', credential.apiKey);
    } else if (placement?.in === 'query') {
      url.searchParams.set(placement.name, credential.apiKey);
    }
    let response: Response;
    try {
      response = await fetch(url, {
        method: check.method,
        headers,
        redirect: 'manual',
        signal: AbortSignal.timeout(deps.config.providerTimeoutSeconds * 1000),
      });
    } catch (error) {
      // The error names the URL, which for a query-placed key carries the key: log only its kind.
      deps.logger.warn('credential check failed to reach the provider', {
        service: entry.key,
        error: error instanceof Error ? error.name : 'unknown',
      });
      throw upstreamError(entry.publicKey, `Could not reach ${entry.label} to check the credential: try again shortly. Nothing was stored.`);
    }
    // The body is never read: a provider may echo the credential in it.
    await response.body?.cancel().catch(() => undefined);
    if (check.validStatuses.includes(response.status)) return;
    if (check.refusedStatuses.includes(response.status)) {
      const what = credential.type === 'BASIC' ? 'user name and password' : 'API key';
      throw new LatchkeyError(
        'PROVIDER_ERROR',
        `${entry.label} refused the ${what} (HTTP ${response.status}): check it and connect again. Nothing was stored.`,
        { providerError: 'invalid_credentials', service: entry.publicKey, upstreamStatus: response.status },
      );
    }
    throw upstreamError(
      entry.publicKey,
      `${entry.label} answered HTTP ${response.status} when the credential was checked: try again shortly. Nothing was stored.`,
      response.status,
    );
  }

  async function connect(siteId: string, input: ConnectCredentialsInput): Promise<ConnectionRow> {
    const entry = await deps.registry.resolve(siteId, input.service);
    const owner = ownerOf(siteId, input.endUser);
    const credential = credentialOf(entry, input);
    try {
      await check(entry, credential);
    } catch (error) {
      const code = error instanceof LatchkeyError ? error.code : 'UPSTREAM_ERROR';
      await deps.audit({ type: 'auth.failed', siteId, service: entry.key, detail: { grantType: credential.type.toLowerCase(), error: code } });
      throw error;
    }
    const basic = credential.type === 'BASIC';
    const row = await deps.store.saveAuthorized(
      owner,
      entry.key,
      {
        accessToken: basic ? credential.password : credential.apiKey,
        refreshToken: undefined,
        tokenType: basic ? 'basic' : 'api_key',
        expiresAt: null,
        grantedScopes: [],
        // The user name is an account identifier (Twilio's Account SID), not the secret half.
        providerData: basic ? { username: credential.username } : {},
        response: {},
      },
      basic ? { id: credential.username, name: credential.username } : null,
      false,
      credential.type,
    );
    await deps.audit({
      type: 'auth.completed',
      siteId,
      service: entry.key,
      connectionId: row.id,
      detail: { grantType: credential.type.toLowerCase(), checked: Boolean(entry.credentials?.check) },
    });
    return row;
  }

  return { connect };
}

export type CredentialConnector = ReturnType<typeof createCredentialConnector>;

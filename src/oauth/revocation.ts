// Revocation at the provider, in the style its file names (oauth.revocation). The styles that are a
// provider's own protocol are implemented here once and chosen by that name. Callers forget the
// tokens locally whatever happens here; a failure is reported, never thrown past signOut.
import * as client from 'openid-client';
import type { ProviderDefinition, ProviderEndpoints } from '../providers/types.js';
import type { OAuthApp } from './client-configuration.js';
import { USER_AGENT } from './client-configuration.js';
import { OAuthFailure, toOAuthFailure } from './grants.js';

export interface RevocationTarget {
  accessToken?: string | undefined;
  refreshToken?: string | undefined;
  foreignUserId?: string | null | undefined;
}

export type RevocationOutcome = { revoked: true } | { revoked: false; reason: string };

function basicAuthorization(app: OAuthApp): string {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(app.clientId)}:${encode(app.clientSecret ?? '')}`).toString('base64')}`;
}

function lowerCaseKeys(headers: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}

async function expectSuccess(provider: ProviderDefinition, response: Response): Promise<void> {
  await response.body?.cancel();
  // 404 means the provider no longer knows the token: it is as revoked as it can be.
  if (response.ok || response.status === 404) return;
  const transient = response.status >= 500 || response.status === 429;
  throw new OAuthFailure(transient ? 'transient' : 'rejected', `http_${response.status}`, `${provider.friendlyServiceName} answered HTTP ${response.status} to the revocation`, response.status);
}

export async function revokeAtProvider(
  config: client.Configuration,
  provider: ProviderDefinition,
  endpoints: ProviderEndpoints,
  app: OAuthApp,
  target: RevocationTarget,
  timeoutSeconds: number,
): Promise<RevocationOutcome> {
  const signal = AbortSignal.timeout(timeoutSeconds * 1000);
  try {
    switch (provider.revocation) {
      case undefined:
        return { revoked: false, reason: `${provider.friendlyServiceName} has no revocation endpoint` };
      case 'rfc7009': {
        // Revoking the refresh token ends the whole grant at RFC 7009 servers that issue one.
        const token = target.refreshToken ?? target.accessToken;
        if (!token) return { revoked: false, reason: 'no token to revoke' };
        await client.tokenRevocation(config, token, {
          token_type_hint: target.refreshToken ? 'refresh_token' : 'access_token',
        });
        return { revoked: true };
      }
      case 'github-token': {
        if (!target.accessToken) return { revoked: false, reason: 'no token to revoke' };
        const clientId = encodeURIComponent(app.clientId);
        const url = endpoints.revocation
          ? new URL(endpoints.revocation.replace('{client_id}', clientId))
          : new URL(`applications/${clientId}/token`, endpoints.api.endsWith('/') ? endpoints.api : `${endpoints.api}/`);
        const response = await fetch(url, {
          method: 'DELETE',
          headers: {
            ...lowerCaseKeys(provider.apiHeaders ?? {}),
            'user-agent': USER_AGENT,
            authorization: basicAuthorization(app),
            'content-type': 'application/json',
          },
          body: JSON.stringify({ access_token: target.accessToken }),
          redirect: 'manual',
          signal,
        });
        await expectSuccess(provider, response);
        return { revoked: true };
      }
      case 'bearer-token':
      case 'bearer-token-delete': {
        if (!target.accessToken || !endpoints.revocation) return { revoked: false, reason: 'no token to revoke' };
        const response = await fetch(endpoints.revocation, {
          method: provider.revocation === 'bearer-token' ? 'POST' : 'DELETE',
          headers: { ...lowerCaseKeys(provider.apiHeaders ?? {}), 'user-agent': USER_AGENT, authorization: `Bearer ${target.accessToken}` },
          redirect: 'manual',
          signal,
        });
        await expectSuccess(provider, response);
        return { revoked: true };
      }
      case 'bearer-and-token-field': {
        if (!target.accessToken || !endpoints.revocation) return { revoked: false, reason: 'no token to revoke' };
        const response = await fetch(endpoints.revocation, {
          method: 'POST',
          headers: { 'user-agent': USER_AGENT, authorization: `Bearer ${target.accessToken}`, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ token: target.accessToken }),
          redirect: 'manual',
          signal,
        });
        await expectSuccess(provider, response);
        return { revoked: true };
      }
      case 'client-secret-header-json': {
        if (!target.accessToken || !endpoints.revocation) return { revoked: false, reason: 'no token to revoke' };
        const response = await fetch(endpoints.revocation, {
          method: 'POST',
          headers: { 'user-agent': USER_AGENT, authorization: `Client ${app.clientSecret ?? ''}`, 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify({ client_id: app.clientId, access_token: target.accessToken }),
          redirect: 'manual',
          signal,
        });
        await expectSuccess(provider, response);
        return { revoked: true };
      }
      case 'token-and-client-in-body': {
        if (!target.accessToken || !endpoints.revocation) return { revoked: false, reason: 'no token to revoke' };
        const response = await fetch(endpoints.revocation, {
          method: 'POST',
          headers: { 'user-agent': USER_AGENT, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
          body: new URLSearchParams({ client_id: app.clientId, client_secret: app.clientSecret ?? '', access_token: target.accessToken }),
          redirect: 'manual',
          signal,
        });
        await expectSuccess(provider, response);
        return { revoked: true };
      }
      case 'refresh-token-in-path': {
        if (!target.refreshToken || !endpoints.revocation?.includes('{refresh_token}')) return { revoked: false, reason: 'no refresh token to revoke' };
        const response = await fetch(endpoints.revocation.replace('{refresh_token}', encodeURIComponent(target.refreshToken)), {
          method: 'DELETE',
          headers: { 'user-agent': USER_AGENT },
          redirect: 'manual',
          signal,
        });
        await expectSuccess(provider, response);
        return { revoked: true };
      }
      case 'stripe-deauthorize': {
        if (!target.foreignUserId || !endpoints.revocation) return { revoked: false, reason: 'no Stripe account id to deauthorize' };
        const response = await fetch(endpoints.revocation, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${app.clientSecret ?? ''}`,
            'content-type': 'application/x-www-form-urlencoded',
            'user-agent': USER_AGENT,
          },
          body: new URLSearchParams({ client_id: app.clientId, stripe_user_id: target.foreignUserId }),
          redirect: 'manual',
          signal,
        });
        await expectSuccess(provider, response);
        return { revoked: true };
      }
    }
  } catch (error) {
    const failure = toOAuthFailure(provider, error);
    return { revoked: false, reason: failure.message };
  }
}

import { defineProvider } from './provider-schema.js';

// monday.com OAuth 2.1: every new app uses it and cannot turn it off (developer.monday.com/apps/docs/oauth-2-1).
// PKCE, a token endpoint at /oauth_ms/oauth/token, expiring access tokens and refresh tokens the
// platform rotates ("token rotation is handled by the platform", the OAuth 2.1 announcement). Apps
// made before it keep the legacy flow (/oauth2/token, tokens valid until the app is uninstalled, no
// refresh) until migrated: set LATCHKEY_MONDAY_TOKEN_URL for one of those. The API is GraphQL only
// (POST /v2), so identity is not looked up by GET.
// The migration guide ("Migrating to the new OAuth 2.1 flow", updated 2026-09-23) gives the rest:
// the token, refresh and revoke requests are JSON bodies carrying client_id and client_secret (its
// discovery document lists token_endpoint_auth_methods_supported ["client_secret_post"] and S256
// only); revocation is POST /oauth_ms/oauth/revoke with {token, client_id, client_secret,
// token_type_hint}; the token answer has no expires_in (the access token is a JWT whose exp claim
// says when it ends) and a space-separated scope. So the expiry is the access token's exp
// (expiryFromJwtExp: decoded without a signature check, for that alone); an opaque token falls
// back to one hour, the expires_in the same guide shows for tokens from its migration endpoint.
// Still open: how a legacy app pointed at /oauth2/token through LATCHKEY_MONDAY_TOKEN_URL fares
// with JSON bodies and a revocation at the OAuth 2.1 endpoint (legacy tokens never expire and stop
// working from API version 2027-04, per the "OAuth 2.0 (legacy)" page; migrating is the way out).
export default defineProvider({
  name: 'MONDAY',
  key: 'monday',
  displayName: 'monday.com',
  categories: ['Project management'],
  authModes: ['OAUTH2'],
  docs: {
    authorization: 'https://developer.monday.com/apps/docs/oauth-2-1',
    token: 'https://developer.monday.com/apps/docs/oauth-2-1',
    scopes: 'https://developer.monday.com/apps/docs/oauth',
    refresh: 'https://developer.monday.com/apps/docs/migrating-to-the-new-oauth-flow',
    revocation: 'https://developer.monday.com/apps/docs/migrating-to-the-new-oauth-flow',
    identity: 'https://developer.monday.com/apps/docs/oauth#token-request',
    api: 'https://developer.monday.com/api-reference/docs',
    rateLimits: 'https://developer.monday.com/api-reference/docs/rate-limits',
    errors: 'https://developer.monday.com/api-reference/docs/errors',
  },
  oauth: {
    issuer: 'https://auth.monday.com',
    endpoints: {
      authorization: 'https://auth.monday.com/oauth2/authorize',
      token: 'https://auth.monday.com/oauth_ms/oauth/token',
      revocation: 'https://auth.monday.com/oauth_ms/oauth/revoke',
    },
    appRegistrationUrl: 'https://auth.monday.com/apps_ms/my-apps',
    scopeSeparator: ' ',
    clientAuthMethod: 'client_secret_post',
    pkce: true,
    supportsRefresh: true,
    revocation: 'rfc7009',
    identity: { from: 'none' },
    quirks: { refreshTokenRotates: true, jsonTokenRequests: true, expiryFromJwtExp: true, assumedLifetimeSeconds: 3600 },
    scopes: [
      {
        scope: 'me:read',
        title: 'Profile',
        description: 'Read the user’s profile.',
        category: 'Account',
        isDefault: true,
      },
      {
        scope: 'boards:read',
        title: 'Read boards',
        description: 'Read boards the user can see.',
        category: 'Boards',
        isDefault: true,
      },
      {
        scope: 'boards:write',
        title: 'Write boards',
        description: 'Create and change boards and items.',
        category: 'Boards',
      },
      {
        scope: 'workspaces:read',
        title: 'Read workspaces',
        description: 'Read workspaces.',
        category: 'Workspaces',
      },
      {
        scope: 'users:read',
        title: 'Read users',
        description: 'Read the account’s users.',
        category: 'Users',
      },
      {
        scope: 'account:read',
        title: 'Account',
        description: 'Read the account’s information.',
        category: 'Account',
      },
      { scope: 'updates:read', title: 'Read updates', description: 'Read updates.', category: 'Updates' },
      {
        scope: 'webhooks:write',
        title: 'Webhooks',
        description: 'Create and delete webhooks.',
        category: 'Webhooks',
      },
    ],
  },
  api: {
    baseUrl: 'https://api.monday.com',
    rateLimits: { statuses: [429], retryAfter: true },
    errors: {
      messagePaths: ['errors.0.message', 'error_message'],
      reasonPaths: ['errors.0.extensions.code', 'error_code'],
    },
  },
});

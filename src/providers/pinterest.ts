import { defineProvider } from './provider-schema.js';

// Pinterest API v5 OAuth. Basic client authentication; scopes are comma-separated in the request.
// Access tokens last 30 days. Refresh tokens are continuous: 60 days, and each refresh answers a
// new one (refresh_token is required in the refresh answer), so a connection can be refreshed
// indefinitely. Apps activated on or after September 25, 2025 get continuous refresh tokens by
// default; older apps must send continuous_refresh=true with the code exchange, and Pinterest no
// longer supports the legacy one-year refresh tokens (the oauth/token operation of Pinterest's
// OpenAPI description, github.com/pinterest/api-description v5/openapi.yaml, release 5.20.0;
// continuous_refresh was a field of the authorization_code request before it). The gateway sends
// it on every code exchange, which new apps do not need and old apps must have.
export default defineProvider({
  name: 'PINTEREST',
  key: 'pinterest',
  displayName: 'Pinterest',
  categories: ['Social'],
  authModes: ['OAUTH2'],
  docs: {
    authorization: 'https://developers.pinterest.com/docs/getting-started/set-up-authentication-and-authorization/#1-start-the-oauth-flow',
    token: 'https://developers.pinterest.com/docs/getting-started/set-up-authentication-and-authorization/#3-exchange-the-code-for-an-access-token',
    scopes: 'https://developers.pinterest.com/docs/getting-started/scopes/',
    refresh: 'https://developers.pinterest.com/docs/api/v5/oauth-token/',
    identity: 'https://developers.pinterest.com/docs/api/v5/user_account-get/',
    api: 'https://developers.pinterest.com/docs/api/v5/',
    rateLimits: 'https://developers.pinterest.com/docs/reference/ratelimits/',
    errors: 'https://developers.pinterest.com/docs/api/v5/#tag/Errors',
  },
  oauth: {
    issuer: 'https://www.pinterest.com',
    endpoints: {
      authorization: 'https://www.pinterest.com/oauth/',
      token: 'https://api.pinterest.com/v5/oauth/token',
    },
    appRegistrationUrl: 'https://developers.pinterest.com/apps/',
    scopeSeparator: ',',
    clientAuthMethod: 'client_secret_basic',
    pkce: false,
    supportsRefresh: true,
    identity: { from: 'api', path: '/user_account', idPath: 'id', namePath: 'username' },
    tokenParams: { continuous_refresh: 'true' },
    quirks: { grantedScopeSeparator: ',', refreshTokenRotates: true },
    scopes: [
      {
        scope: 'user_accounts:read',
        title: 'Account',
        description: 'Read the user’s account information.',
        category: 'Account',
        isDefault: true,
      },
      {
        scope: 'boards:read',
        title: 'Read boards',
        description: 'Read public boards.',
        category: 'Boards',
        isDefault: true,
      },
      {
        scope: 'boards:write',
        title: 'Write boards',
        description: 'Create, update and delete boards.',
        category: 'Boards',
      },
      {
        scope: 'pins:read',
        title: 'Read Pins',
        description: 'Read public Pins.',
        category: 'Pins',
        isDefault: true,
      },
      {
        scope: 'pins:write',
        title: 'Write Pins',
        description: 'Create, update and delete Pins.',
        category: 'Pins',
      },
      { scope: 'ads:read', title: 'Read ads', description: 'Read advertising data.', category: 'Ads' },
      {
        scope: 'catalogs:read',
        title: 'Read catalogs',
        description: 'Read catalog data.',
        category: 'Catalogs',
      },
    ],
  },
  api: {
    baseUrl: 'https://api.pinterest.com/v5',
    rateLimits: {
      statuses: [429],
      retryAfter: false,
      headers: { limit: 'X-RateLimit-Limit', remaining: 'X-RateLimit-Remaining' },
    },
    errors: { messagePaths: ['message'], reasonPaths: ['code'] },
  },
});

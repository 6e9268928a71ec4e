import { defineProvider } from './provider-schema.js';

// Pinterest API v5 OAuth. Basic client authentication; scopes are comma-separated in the request.
// Access tokens last 30 days and refresh tokens a year; continuous_refresh makes each refresh issue
// a new refresh token. The v5 token endpoint takes Basic client authentication (Pinterest's
// generated API clients and the authentication guide).
// unverified: whether continuous refresh is now the default (Pinterest's API description says it
// would become so; the gateway does not send continuous_refresh), so a refresh answer may repeat
// the old refresh token instead of a new one.
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
    refresh: 'https://developers.pinterest.com/docs/getting-started/set-up-authentication-and-authorization/#refreshing-an-access-token',
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

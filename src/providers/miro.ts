import { defineProvider } from './provider-schema.js';

// Miro OAuth 2.0. With expiring tokens turned on, access tokens last one hour and each refresh
// issues a new refresh token; otherwise tokens do not expire (developers.miro.com, "Use access
// token for REST API requests"). Authorization codes are single-use and expire after 10 minutes.
// Revocation: POST https://api.miro.com/v1/oauth/revoke takes the access token as a query
// parameter and is deprecated for it; its replacement, POST https://api.miro.com/v2/oauth/revoke
// ("Revoke token (v2)", developers.miro.com/reference/revoke-token-v2), takes a JSON body
// {accessToken, clientId, clientSecret} (camelCase), answers 204 and ends the refresh token too
// (Miro's OpenAPI description, github.com/miroapp/api-clients packages/generator/spec.json).
// Sign-out sends exactly that: RFC 7009's token, client_id and client_secret renamed
// (revocationBodyFields), as JSON, for the access token alone. Every API answer carries X-RateLimit-Limit/-Remaining (credits a minute) and
// X-RateLimit-Reset (a Unix time), and a spent limit is 429 (the v1.0 reference's rate-limiting
// page, developers.miro.com/v1.0/reference/ratelimiting; the current page was not read that far).
export default defineProvider({
  name: 'MIRO',
  key: 'miro',
  displayName: 'Miro',
  categories: ['Design & CMS'],
  authModes: ['OAUTH2'],
  docs: {
    authorization: 'https://developers.miro.com/docs/getting-started-with-oauth#step-2-direct-users-to-the-authorization-url',
    token: 'https://developers.miro.com/reference/exchange-authorization-code-with-access-token',
    scopes: 'https://developers.miro.com/reference/scopes',
    refresh: 'https://developers.miro.com/reference/get-new-access-token-using-refresh-token',
    revocation: 'https://developers.miro.com/reference/revoke-token-v2',
    identity: 'https://developers.miro.com/reference/exchange-authorization-code-with-access-token',
    api: 'https://developers.miro.com/reference/api-reference',
    rateLimits: 'https://developers.miro.com/reference/rate-limiting',
    errors: 'https://developers.miro.com/reference/errors',
  },
  oauth: {
    issuer: 'https://miro.com',
    endpoints: {
      authorization: 'https://miro.com/oauth/authorize',
      token: 'https://api.miro.com/v1/oauth/token',
      revocation: 'https://api.miro.com/v2/oauth/revoke',
    },
    appRegistrationUrl: 'https://miro.com/app/settings/user-profile/apps',
    scopeSeparator: ' ',
    clientAuthMethod: 'client_secret_post',
    pkce: false,
    supportsRefresh: true,
    revocation: 'rfc7009',
    identity: { from: 'token-response', idField: 'user_id' },
    quirks: {
      refreshTokenRotates: true,
      keepFields: ['team_id', 'user_id'],
      jsonRevocationRequests: true,
      revokesAccessTokensOnly: true,
      revocationBodyFields: { token: 'accessToken', client_id: 'clientId', client_secret: 'clientSecret' },
    },
    scopes: [
      {
        scope: 'boards:read',
        title: 'Read boards',
        description: 'Read boards, items and members.',
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
        scope: 'identity:read',
        title: 'Identity',
        description: 'Read the user’s name and email.',
        category: 'Account',
      },
      {
        scope: 'team:read',
        title: 'Team',
        description: 'Read the team’s information.',
        category: 'Team',
      },
    ],
  },
  api: {
    baseUrl: 'https://api.miro.com',
    rateLimits: {
      statuses: [429],
      retryAfter: false,
      headers: { limit: 'X-RateLimit-Limit', remaining: 'X-RateLimit-Remaining', reset: 'X-RateLimit-Reset' },
      resetUnit: 'epoch-seconds',
    },
    errors: { messagePaths: ['message'], reasonPaths: ['code'] },
  },
});

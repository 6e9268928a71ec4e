import { defineProvider } from './provider-schema.js';

// Todoist OAuth (API v1 reference, Authorization): scopes are comma-separated, the token exchange
// POSTs client_id, client_secret and code to api.todoist.com/oauth/access_token. Refresh tokens
// are on by default for new apps (and cannot be turned off once on): the answer then carries
// expires_in and a refresh_token, a refresh_token grant at the same endpoint with client_id and
// client_secret gets a new access token, and each refresh answers a new refresh token to keep
// instead of the old one. Older apps without them get a long-lived access token and no refresh
// token, and simply never refresh (Todoist's own SDK, Doist/todoist-sdk-typescript
// src/authentication.ts: AuthTokenResponse and refreshAuthToken, added in 10.5.0, June 2026).
// Todoist also documents an RFC 7009 revocation endpoint (POST api.todoist.com/api/v1/revoke)
// that takes HTTP Basic client authentication only, while the token endpoint takes the secret in
// the body; the gateway authenticates both alike, so the file declares no revocation.
// The SDK's type comment says the granted `scope` in the token answer is space-separated, while
// requests use commas: the gateway reads granted scopes split on either, so both spellings work.
export default defineProvider({
  name: 'TODOIST',
  key: 'todoist',
  displayName: 'Todoist',
  categories: ['Productivity'],
  authModes: ['OAUTH2'],
  docs: {
    authorization: 'https://developer.todoist.com/guides/#step-1-authorization-request',
    token: 'https://developer.todoist.com/api/v1/#tag/Authorization',
    refresh: 'https://doist.github.io/todoist-sdk-typescript/api/functions/refreshAuthToken',
    scopes: 'https://developer.todoist.com/guides/#step-1-authorization-request',
    identity: 'https://developer.todoist.com/api/v1/#tag/User',
    api: 'https://developer.todoist.com/api/v1/',
    rateLimits: 'https://developer.todoist.com/api/v1/#tag/Request-limits',
    errors: 'https://developer.todoist.com/api/v1/#tag/Errors',
  },
  oauth: {
    issuer: 'https://todoist.com',
    endpoints: {
      authorization: 'https://todoist.com/oauth/authorize',
      token: 'https://api.todoist.com/oauth/access_token',
    },
    appRegistrationUrl: 'https://developer.todoist.com/appconsole.html',
    scopeSeparator: ',',
    clientAuthMethod: 'client_secret_post',
    pkce: false,
    supportsRefresh: true,
    identity: { from: 'api', path: '/api/v1/user', idPath: 'id', namePath: 'full_name' },
    quirks: { grantedScopeSeparator: ',', scopeAbsentMeansRequested: true, refreshTokenRotates: true },
    scopes: [
      {
        scope: 'data:read',
        title: 'Read',
        description: 'Read tasks, projects, labels and filters.',
        category: 'Data',
        isDefault: true,
      },
      {
        scope: 'data:read_write',
        title: 'Read and write',
        description: 'Read and change tasks, projects, labels and filters.',
        category: 'Data',
      },
      { scope: 'task:add', title: 'Add tasks', description: 'Add new tasks only.', category: 'Data' },
      {
        scope: 'data:delete',
        title: 'Delete',
        description: 'Delete tasks, labels and filters.',
        category: 'Data',
      },
      {
        scope: 'project:delete',
        title: 'Delete projects',
        description: 'Delete projects.',
        category: 'Data',
      },
    ],
  },
  api: {
    baseUrl: 'https://api.todoist.com',
    rateLimits: { statuses: [429], retryAfter: true },
    errors: { messagePaths: ['error'], reasonPaths: ['error_tag'] },
  },
});

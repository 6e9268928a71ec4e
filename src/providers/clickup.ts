import { defineProvider } from './provider-schema.js';

// ClickUp OAuth. There are no scopes; the user picks workspaces while authorizing. Tokens do not
// expire and there is no refresh token. Endpoints: the authentication guide's OAuth flow
// (developer.clickup.com/docs/authentication).
// Rate limits are per token (100 a minute on most plans); a 429 carries X-RateLimit-Limit,
// -Remaining and -Reset, a Unix timestamp (the rate-limits page).
// The token endpoint takes client_id, client_secret and code in a request body, JSON or
// application/x-www-form-urlencoded: ClickUp's reference page for it (developer.clickup.com/
// reference/getaccesstoken, in a Markdown copy of its OpenAPI 3.1 definition kept in public code,
// apparently older than the 2026-07-01 revision, whose description has a section this copy lacks)
// declares both body types with those three required fields.
// unverified: whether that still holds. The 2026-07-01 revision of the same page shows the three
// as query parameters, and copies derived from it say the same (searched 2026-12-02: docs and code
// corpora, find_string "operationId": "GetAccessToken"). The form body stays: the query form would
// put the client secret and the code into a URL, which the gateway never does, Nango's working
// integration sends a form, and a refusal shows at the first connect as the provider's error.
export default defineProvider({
  name: 'CLICKUP',
  key: 'clickup',
  displayName: 'ClickUp',
  categories: ['Project management'],
  authModes: ['OAUTH2'],
  docs: {
    authorization: 'https://developer.clickup.com/docs/authentication#oauth-flow',
    token: 'https://developer.clickup.com/docs/authentication#oauth-flow',
    scopes: 'https://developer.clickup.com/docs/authentication',
    identity: 'https://developer.clickup.com/reference/getauthorizeduser',
    api: 'https://developer.clickup.com/reference',
    rateLimits: 'https://developer.clickup.com/docs/rate-limits',
    errors: 'https://developer.clickup.com/docs/common_errors',
  },
  oauth: {
    issuer: 'https://app.clickup.com',
    endpoints: {
      authorization: 'https://app.clickup.com/api',
      token: 'https://api.clickup.com/api/v2/oauth/token',
    },
    appRegistrationUrl: 'https://app.clickup.com/settings/apps',
    scopeSeparator: ' ',
    clientAuthMethod: 'client_secret_post',
    pkce: false,
    supportsRefresh: false,
    identity: { from: 'api', path: '/user', idPath: 'user.id', namePath: 'user.username' },
    quirks: { scopeAbsentMeansRequested: true },
    scopes: [],
  },
  api: {
    baseUrl: 'https://api.clickup.com/api/v2',
    rateLimits: {
      statuses: [429],
      retryAfter: false,
      headers: { limit: 'X-RateLimit-Limit', remaining: 'X-RateLimit-Remaining', reset: 'X-RateLimit-Reset' },
      resetUnit: 'epoch-seconds',
    },
    errors: { messagePaths: ['err'], reasonPaths: ['ECODE'] },
  },
});

import { defineProvider } from './provider-schema.js';

// ClickUp OAuth. There are no scopes; the user picks workspaces while authorizing. Tokens do not
// expire and there is no refresh token. Endpoints: the authentication guide's OAuth flow
// (developer.clickup.com/docs/authentication).
// Rate limits are per token (100 a minute on most plans); a 429 carries X-RateLimit-Limit,
// -Remaining and -Reset, a Unix timestamp (the rate-limits page).
// unverified: that the token endpoint reads client_id, client_secret and code from a form body. The
// reference page (getaccesstoken, its OpenAPI definition updated 2026-07-01) shows them as query
// parameters; copies derived from ClickUp's OpenAPI disagree (one has query parameters, a later one
// a request body), and Nango's list, which sends them in a form body, declares nothing special.
// Searched 2026-12-02: docs and code corpora ("ClickUp OpenAPI GetAccessToken"); ClickUp publishes
// no SDK or OpenAPI repository found here. The form body stays: the query form would put the
// client secret and the code into a URL, which the gateway never does, and a refusal shows at the
// first connect as the provider's error.
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

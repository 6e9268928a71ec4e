import { defineProvider } from './provider-schema.js';

// Intercom OAuth. Permissions are set on the app, not per request; the code is exchanged at
// /auth/eagle/token with client_id and client_secret in the body. Tokens do not expire and there is
// no refresh token or revocation endpoint (the workspace uninstalls the app); Intercom's engineering
// support confirms it: https://community.intercom.com/apps-integrations-25/clarification-needed-on-intercom-oauth-access-token-and-refresh-token-for-multitenant-apps-11092
// 429 answers carry X-RateLimit-Limit/-Remaining/-Reset (Unix time). EU and Australian
// workspaces use app.eu/api.eu and app.au/api.au hosts: set the endpoint variables.
// Regions: https://developers.intercom.com/docs/build-an-integration/learn-more/rest-apis/unified-api-hosting
export default defineProvider({
  name: 'INTERCOM',
  key: 'intercom',
  displayName: 'Intercom',
  categories: ['Support'],
  authModes: ['OAUTH2'],
  docs: {
    authorization: 'https://developers.intercom.com/docs/build-an-integration/learn-more/authentication/setting-up-oauth',
    token: 'https://developers.intercom.com/docs/build-an-integration/learn-more/authentication/setting-up-oauth',
    scopes: 'https://developers.intercom.com/docs/build-an-integration/learn-more/authentication/oauth-scopes',
    identity: 'https://developers.intercom.com/docs/references/rest-api/api.intercom.io/admins/identifyadmin',
    api: 'https://developers.intercom.com/docs/references/rest-api/api.intercom.io',
    rateLimits: 'https://developers.intercom.com/docs/references/rest-api/errors/rate-limiting',
    errors: 'https://developers.intercom.com/docs/references/rest-api/errors/error-objects',
  },
  oauth: {
    issuer: 'https://app.intercom.com',
    endpoints: {
      authorization: 'https://app.intercom.com/oauth',
      token: 'https://api.intercom.io/auth/eagle/token',
    },
    appRegistrationUrl: 'https://app.intercom.com/a/apps/_/developer-hub',
    scopeSeparator: ' ',
    clientAuthMethod: 'client_secret_post',
    pkce: false,
    supportsRefresh: false,
    identity: { from: 'api', path: '/me', idPath: 'id', namePath: 'email' },
    quirks: { scopeAbsentMeansRequested: true, tokenTypeMissing: true },
    scopes: [],
  },
  api: {
    baseUrl: 'https://api.intercom.io',
    rateLimits: {
      statuses: [429],
      retryAfter: false,
      headers: { limit: 'X-RateLimit-Limit', remaining: 'X-RateLimit-Remaining', reset: 'X-RateLimit-Reset' },
      resetUnit: 'epoch-seconds',
    },
    errors: { messagePaths: ['errors.0.message'], reasonPaths: ['errors.0.code'] },
  },
});

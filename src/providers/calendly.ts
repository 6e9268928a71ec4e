import { defineProvider } from './provider-schema.js';

// Calendly OAuth 2.1 with PKCE. Access tokens last two hours; refresh tokens do not expire until
// used and are single-use: each refresh answer carries the replacement and the used one is revoked
// at once. Revocation is RFC 7009 with the client credentials in the body.
// The revoke reference (post-oauth-revoke) is a form POST to auth.calendly.com/oauth/revoke with
// client_id, client_secret and token, all required, token being an access or a refresh token:
// RFC 7009 with the secret in the body, as declared.
// The token endpoint takes the secret in the body too: Calendly's own sample app
// (github.com/calendly/buzzwordcrm) exchanges codes through passport-oauth2, which posts
// client_id and client_secret in the form (calendlyOauth2Strategy/index.js), and refreshes with
// client_id and client_secret in the body (services/calendlyService.js, requestNewAccessToken).
// The token reference (post-oauth-refresh-token) names a Basic header for web clients as well;
// client_secret_post is kept because the revoke endpoint requires the credentials in the body and
// the gateway authenticates both requests the same way.
export default defineProvider({
  name: 'CALENDLY',
  key: 'calendly',
  displayName: 'Calendly',
  categories: ['Scheduling'],
  authModes: ['OAUTH2'],
  docs: {
    authorization: 'https://developer.calendly.com/create-a-developer-account',
    token: 'https://developer.calendly.com/api-docs/calendly-o-auth/o-auth/post-oauth-refresh-token',
    scopes: 'https://developer.calendly.com/getting-started',
    refresh: 'https://developer.calendly.com/refresh-token-rotation-guide',
    revocation: 'https://developer.calendly.com/api-docs/calendly-o-auth/o-auth/post-oauth-revoke',
    identity: 'https://developer.calendly.com/api-docs/005832c83aeae-get-current-user',
    api: 'https://developer.calendly.com/api-docs',
    rateLimits: 'https://developer.calendly.com/api-docs/edca8074633f8-upcoming-changes',
    errors: 'https://developer.calendly.com/api-docs/ZG9jOjM2MzE2MDM4-errors',
  },
  oauth: {
    issuer: 'https://auth.calendly.com',
    endpoints: {
      authorization: 'https://auth.calendly.com/oauth/authorize',
      token: 'https://auth.calendly.com/oauth/token',
      revocation: 'https://auth.calendly.com/oauth/revoke',
    },
    appRegistrationUrl: 'https://developer.calendly.com/console/apps',
    scopeSeparator: ' ',
    clientAuthMethod: 'client_secret_post',
    pkce: true,
    supportsRefresh: true,
    revocation: 'rfc7009',
    identity: { from: 'api', path: '/users/me', idPath: 'resource.uri', namePath: 'resource.name' },
    quirks: {
      refreshTokenRotates: true,
      scopeAbsentMeansRequested: true,
      keepFields: ['owner', 'organization'],
    },
    scopes: [],
  },
  api: {
    baseUrl: 'https://api.calendly.com',
    rateLimits: {
      statuses: [429],
      retryAfter: false,
      headers: { limit: 'X-RateLimit-Limit', remaining: 'X-RateLimit-Remaining', reset: 'X-RateLimit-Reset' },
      resetUnit: 'delta-seconds',
    },
    errors: { messagePaths: ['message'], reasonPaths: ['title'] },
  },
});

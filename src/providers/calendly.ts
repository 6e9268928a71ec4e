import { defineProvider } from './provider-schema.js';

// Calendly OAuth 2.1 with PKCE. Access tokens last two hours; refresh tokens do not expire until
// used and are single-use: each refresh answer carries the replacement and the used one is revoked
// at once. Revocation is RFC 7009 with the client credentials in the body.
// unverified: the revoke request's shape and client authentication in the body (the API reference
// pages were not readable here; a preview copy of the token reference shows client_secret and
// code_verifier in the form).
export default defineProvider({
  name: 'CALENDLY',
  key: 'calendly',
  displayName: 'Calendly',
  categories: ['Scheduling'],
  authModes: ['OAUTH2'],
  docs: {
    authorization: 'https://developer.calendly.com/create-a-developer-account',
    token: 'https://developer.calendly.com/api-docs/be9b32ef4b44c-get-access-token',
    scopes: 'https://developer.calendly.com/getting-started',
    refresh: 'https://developer.calendly.com/refresh-token-rotation-guide',
    revocation: 'https://developer.calendly.com/api-docs/5c3b9a5d1d0c8-revoke-access-refresh-token',
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

import { defineProvider } from './provider-schema.js';

// Netlify as an OAuth2 provider for its developer API. Tokens carry the user’s full API access
// (Netlify has no scopes) and do not expire; there is no refresh token.
export default defineProvider({
  name: 'NETLIFY',
  key: 'netlify',
  displayName: 'Netlify',
  categories: ['Developer tools'],
  authModes: ['OAUTH2'],
  docs: {
    authorization: 'https://docs.netlify.com/api/get-started/#authentication',
    token: 'https://www.netlify.com/blog/2016/10/10/integrating-with-netlify-oauth2/',
    scopes: 'https://docs.netlify.com/api/get-started/#authentication',
    identity: 'https://open-api.netlify.com/#tag/user/operation/getCurrentUser',
    api: 'https://docs.netlify.com/api/get-started/',
    rateLimits: 'https://docs.netlify.com/api/get-started/#rate-limiting',
    errors: 'https://docs.netlify.com/api/get-started/#make-a-request',
  },
  oauth: {
    issuer: 'https://app.netlify.com',
    endpoints: {
      authorization: 'https://app.netlify.com/authorize',
      token: 'https://api.netlify.com/oauth/token',
    },
    appRegistrationUrl: 'https://app.netlify.com/user/applications',
    scopeSeparator: ' ',
    clientAuthMethod: 'client_secret_post',
    pkce: false,
    supportsRefresh: false,
    identity: { from: 'api', path: '/user', idPath: 'id', namePath: 'email' },
    quirks: { scopeAbsentMeansRequested: true },
    scopes: [],
  },
  api: {
    baseUrl: 'https://api.netlify.com/api/v1',
    rateLimits: {
      statuses: [429],
      retryAfter: false,
      headers: { limit: 'X-RateLimit-Limit', remaining: 'X-RateLimit-Remaining', reset: 'X-RateLimit-Reset' },
      resetUnit: 'epoch-seconds',
    },
    errors: { messagePaths: ['message'], reasonPaths: ['code'] },
  },
});

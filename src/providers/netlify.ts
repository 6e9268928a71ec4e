import { defineProvider } from './provider-schema.js';

// Netlify as an OAuth2 provider for its developer API (the 2016 blog post: implicit and
// authorization code grants). Tokens carry the user’s full API access (Netlify has no scopes) and
// do not expire; there is no refresh token. The endpoints are those of Netlify's own OAuth example
// (github.com/netlify-labs/oauth-example, functions/utils/auth.js): app.netlify.com/authorize,
// api.netlify.com/oauth/token, api.netlify.com/api/v1/user. Rate limits: X-RateLimit-Limit,
// -Remaining and -Reset (a Unix time); no Retry-After is documented.
// unverified: PKCE, revocation. Netlify documents neither: not in the blog post, the API guide,
// the support-forum thread on the OAuth ticket flow, netlify/open-api issues #96 and #355 or the
// netlify-oauth-example issues, nor in netlify/open-api's swagger.yml (2026-05; its only OAuth
// paths are /oauth/tickets), and no public code calls api.netlify.com/oauth/revoke. A Netlify
// engineer's forum answer names Doorkeeper's routes as the ones it uses (Doorkeeper has POST
// /oauth/revoke and optional PKCE), but not whether Netlify turned either on. Safe defaults: no
// PKCE, as Netlify's own example sends none (a server with optional PKCE accepts that), and no
// revocation declared, since a guessed endpoint could only fail: sign-out forgets the token
// locally, and the member revokes the app at app.netlify.com/user/applications.
export default defineProvider({
  name: 'NETLIFY',
  key: 'netlify',
  displayName: 'Netlify',
  categories: ['Developer tools'],
  authModes: ['OAUTH2'],
  docs: {
    authorization: 'https://www.netlify.com/blog/2016/10/10/integrating-with-netlify-oauth2/',
    token: 'https://github.com/netlify-labs/oauth-example',
    scopes: 'https://docs.netlify.com/api-and-cli-guides/api-guides/get-started-with-api/#authentication',
    identity: 'https://open-api.netlify.com/#tag/user/operation/getCurrentUser',
    api: 'https://docs.netlify.com/api-and-cli-guides/api-guides/get-started-with-api/',
    rateLimits: 'https://docs.netlify.com/api-and-cli-guides/api-guides/get-started-with-api/#rate-limiting',
    errors: 'https://docs.netlify.com/api-and-cli-guides/api-guides/get-started-with-api/#make-a-request',
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

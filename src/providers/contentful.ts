import { defineProvider } from './provider-schema.js';

// Contentful documents only the implicit grant (response_type=token), but its OAuth server also
// serves the authorization-code grant at /oauth/token for confidential applications, which is what
// a gateway needs. Its documentation is silent on refresh tokens (tokens last until revoked or the
// application's expiry date) and PKCE, so neither is relied on here.
// Every CMA answer carries X-Contentful-RateLimit-Second-Limit/-Remaining and a 429 carries
// X-Contentful-RateLimit-Reset, the seconds until the next request is accepted.
// Contentful's changelog (contentful.com/developers/changelog/confidentiality-for-oauth-applications/)
// says a confidential application must send its client ID and secret "when requesting a token",
// a requirement that "does not apply to the implicit grant flow, which is the OAuth flow described
// in Contentful's official documentation": so token requests other than the implicit grant exist
// and are client-authenticated, which is what the file relies on.
// Contentful's own web app (github.com/contentful/widget-sdk, src/javascripts/Authentication.js)
// gets its tokens by a form POST to be.contentful.com/oauth/token and revokes them by a form POST
// of token and client_id to be.contentful.com/oauth/revoke, RFC 7009's shape: so the token
// endpoint is Contentful's, and since tokens last until revoked, sign-out revokes there too
// (with the client's id and secret in the form, as at the token endpoint; a refusal is reported
// and the tokens are forgotten locally all the same).
// Still open: the grant name authorization_code (no Contentful page or code names it; searched
// 2026-12-02: docs corpus, the OAuth page and its llms.txt, contentful-management.js, whose OAuth
// application entity has a confidential flag, and find_string "contentful.com/oauth/token").
export default defineProvider({
  name: 'CONTENTFUL',
  key: 'contentful',
  displayName: 'Contentful',
  categories: ['Content management'],
  authModes: ['OAUTH2'],
  docs: {
    authorization: 'https://www.contentful.com/developers/docs/extensibility/oauth/',
    token: 'https://www.contentful.com/developers/docs/extensibility/oauth/',
    scopes: 'https://www.contentful.com/developers/docs/extensibility/oauth/',
    revocation: 'https://github.com/contentful/widget-sdk/blob/50ab644a412228a7f045f3595e8dd341c0da322a/src/javascripts/Authentication.js',
    identity: 'https://www.contentful.com/developers/docs/references/content-management-api/#/reference/users/user/get-the-authenticated-user',
    api: 'https://www.contentful.com/developers/docs/references/content-management-api/',
    rateLimits: 'https://www.contentful.com/developers/docs/references/content-management-api/#/introduction/api-rate-limits',
    errors: 'https://www.contentful.com/developers/docs/references/errors/',
    pagination: 'https://www.contentful.com/developers/docs/references/content-management-api/#/introduction/collection-resources-and-pagination',
  },
  oauth: {
    issuer: 'https://be.contentful.com',
    endpoints: {
      authorization: 'https://be.contentful.com/oauth/authorize',
      token: 'https://be.contentful.com/oauth/token',
      revocation: 'https://be.contentful.com/oauth/revoke',
    },
    appRegistrationUrl: 'https://app.contentful.com/account/profile/developers/applications',
    scopeSeparator: ' ',
    clientAuthMethod: 'client_secret_post',
    pkce: false,
    supportsRefresh: false,
    revocation: 'rfc7009',
    identity: { from: 'api', path: '/users/me', idPath: 'sys.id', namePath: 'email' },
    quirks: {},
    // Contentful grants one of these per authorization; manage includes read.
    scopes: [
      {
        scope: 'content_management_read',
        title: 'Read content',
        description: 'Read spaces, content types, entries and assets through the Content Management API.',
        category: 'Content management',
        isDefault: true,
      },
      {
        scope: 'content_management_manage',
        title: 'Manage content',
        description: 'Read, create, change, publish and delete content through the Content Management API.',
        category: 'Content management',
      },
    ],
  },
  api: {
    baseUrl: 'https://api.contentful.com',
    rateLimits: {
      statuses: [429],
      retryAfter: false,
      // X-Contentful-RateLimit-Reset: seconds until the hourly/secondly limit resets.
      headers: { limit: 'x-contentful-ratelimit-second-limit', remaining: 'x-contentful-ratelimit-second-remaining', reset: 'x-contentful-ratelimit-reset' },
      resetUnit: 'delta-seconds',
      defaultWaitSeconds: 1,
    },
    errors: { messagePaths: ['message'], reasonPaths: ['sys.id'] },
    pagination: { style: 'offset', offsetParam: 'skip', limitParam: 'limit' },
    bodyEncoding: 'json',
  },
});

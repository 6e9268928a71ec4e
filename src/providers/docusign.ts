import { defineProvider } from './provider-schema.js';

// Docusign eSignature authorization code grant on the production account server (developer accounts
// use account-d.docusign.com: set the endpoint variables). Basic client authentication (token and
// refresh requests); access tokens last eight hours, refresh tokens 30 days, and refresh answers
// carry a new refresh token. Rate limits: 3,000 calls an hour per account plus a 30-second burst
// limit, reported in x-ratelimit-* and x-burstlimit-* headers.
// Refresh: https://www.docusign.com/blog/developers/authorization-code-grant-refresh-tokens
// Headers: https://www.docusign.com/blog/developers/dsdev-from-the-trenches-api-rate-limits
// X-RateLimit-Reset is a Unix timestamp: the platform's resource limits page calls it "the timestamp
// when the rate limit will reset" and Docusign's "Working with Headers in Docusign SDKs" blog prints
// it as a Unix timestamp. Each refresh answers an access token and a new refresh token (the
// obtain-access-token reference). The eSignature API base differs per account
// (accounts[].base_uri from /oauth/userinfo); the built-in API URL is the default North America one.
// Per-account hosts: https://developers.docusign.com/platform/auth/authcode/authcode-get-token/#step-3-obtain-user-information-with-the-access-token
export default defineProvider({
  name: 'DOCUSIGN',
  key: 'docusign',
  displayName: 'Docusign',
  categories: ['Documents'],
  authModes: ['OAUTH2'],
  docs: {
    authorization: 'https://developers.docusign.com/platform/auth/authcode/authcode-get-token/#step-1-request-the-authorization-code',
    token: 'https://developers.docusign.com/platform/auth/authcode/authcode-get-token/#step-2-obtain-the-access-token',
    scopes: 'https://developers.docusign.com/platform/auth/reference/scopes/',
    refresh: 'https://developers.docusign.com/platform/auth/reference/obtain-access-token/',
    identity: 'https://developers.docusign.com/platform/auth/authcode/authcode-get-token/#step-2-obtain-the-access-token',
    api: 'https://developers.docusign.com/docs/esign-rest-api/reference/',
    rateLimits: 'https://developers.docusign.com/platform/resource-limits/',
    errors: 'https://developers.docusign.com/docs/esign-rest-api/esign101/error-codes/',
  },
  oauth: {
    issuer: 'https://account.docusign.com',
    endpoints: {
      authorization: 'https://account.docusign.com/oauth/auth',
      token: 'https://account.docusign.com/oauth/token',
    },
    appRegistrationUrl: 'https://admindemo.docusign.com/apps-and-keys',
    scopeSeparator: ' ',
    clientAuthMethod: 'client_secret_basic',
    pkce: true,
    supportsRefresh: true,
    identity: { from: 'none' },
    quirks: { refreshTokenRotates: true, scopeAbsentMeansRequested: true },
    scopes: [
      {
        scope: 'signature',
        title: 'eSignature',
        description: 'Send envelopes and read their status.',
        category: 'eSignature',
        isDefault: true,
      },
      {
        scope: 'extended',
        title: 'Extended refresh',
        description: 'Extend the refresh token’s lifetime on each use.',
        category: 'Account',
      },
      {
        scope: 'openid',
        title: 'Sign in',
        description: 'Identify the Docusign user.',
        category: 'Account',
      },
      {
        scope: 'impersonation',
        title: 'Impersonation',
        description: 'Let the app act as the user without them present (JWT grant).',
        category: 'Account',
      },
    ],
  },
  api: {
    baseUrl: 'https://www.docusign.net/restapi',
    rateLimits: {
      statuses: [429],
      retryAfter: false,
      headers: { limit: 'X-RateLimit-Limit', remaining: 'X-RateLimit-Remaining', reset: 'X-RateLimit-Reset' },
      resetUnit: 'epoch-seconds',
    },
    errors: { messagePaths: ['message'], reasonPaths: ['errorCode'] },
  },
});

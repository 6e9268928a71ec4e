import { defineProvider } from './provider-schema.js';

// Sign in with Vercel (OAuth 2.0 / OpenID Connect). PKCE (S256) is required; access tokens last one
// hour and refresh tokens (offline_access) rotate on use. Revocation is RFC 7009 with Basic client
// authentication. Verified against the authorization server API page and Vercel's discovery
// document (vercel.com/.well-known/openid-configuration): the endpoints, S256 PKCE,
// client_secret_basic for tokens and revocation, and the userinfo endpoint.
// The tokens page gives one-hour access tokens and 30-day refresh tokens exchanged for new ones.
// Rate limits: Vercel's own clients wait for the Retry-After of a 429 ("the Retry-After header
// from the api tells us when the next rate limit token is available": vercel/vercel
// packages/cli/src/util/client.ts and packages/client/src/check-deployment-status.ts, 2026-08),
// so the gateway reads it first. The X-RateLimit-Reset unit is undocumented by Vercel (searched
// 2026-12-02: docs and pages corpora, vercel.com/docs/rest-api and /docs/limits as stored, vercel/sdk's
// generated models, whose 429 body has limit {total, remaining, reset} undescribed, and the
// vercel/vercel monorepo, which never reads that header); only third-party write-ups show a Unix
// time. The gateway handles both: the reset number is read by its magnitude (seconds-by-magnitude).
export default defineProvider({
  name: 'VERCEL',
  key: 'vercel',
  displayName: 'Vercel',
  categories: ['Developer tools'],
  authModes: ['OAUTH2'],
  docs: {
    authorization: 'https://vercel.com/docs/sign-in-with-vercel/authorization-server-api',
    token: 'https://vercel.com/docs/sign-in-with-vercel/authorization-server-api',
    scopes: 'https://vercel.com/docs/sign-in-with-vercel/authorization-server-api',
    refresh: 'https://vercel.com/docs/sign-in-with-vercel/tokens#refresh-token',
    revocation: 'https://vercel.com/docs/sign-in-with-vercel/authorization-server-api',
    identity: 'https://vercel.com/docs/sign-in-with-vercel/authorization-server-api',
    api: 'https://vercel.com/docs/rest-api',
    rateLimits: 'https://vercel.com/docs/rest-api#rate-limits',
    errors: 'https://vercel.com/docs/rest-api#errors',
  },
  oauth: {
    issuer: 'https://vercel.com',
    endpoints: {
      authorization: 'https://vercel.com/oauth/authorize',
      token: 'https://api.vercel.com/login/oauth/token',
      revocation: 'https://api.vercel.com/login/oauth/token/revoke',
    },
    appRegistrationUrl: 'https://vercel.com/docs/sign-in-with-vercel/manage-from-dashboard',
    scopeSeparator: ' ',
    clientAuthMethod: 'client_secret_basic',
    pkce: true,
    supportsRefresh: true,
    revocation: 'rfc7009',
    identity: { from: 'api', path: '/login/oauth/userinfo', idPath: 'sub', namePath: 'preferred_username' },
    quirks: { refreshTokenRotates: true },
    scopes: [
      {
        scope: 'openid',
        title: 'Sign in',
        description: 'Identify the Vercel account.',
        category: 'Account',
        isRequired: true,
      },
      {
        scope: 'email',
        title: 'Email',
        description: 'Read the account’s email address.',
        category: 'Account',
        isDefault: true,
      },
      {
        scope: 'profile',
        title: 'Profile',
        description: 'Read the account’s name, username and avatar.',
        category: 'Account',
        isDefault: true,
      },
      {
        scope: 'offline_access',
        title: 'Stay connected',
        description: 'Receive a refresh token.',
        category: 'Account',
        isDefault: true,
      },
    ],
  },
  api: {
    baseUrl: 'https://api.vercel.com',
    rateLimits: {
      statuses: [429],
      retryAfter: true,
      headers: { limit: 'X-RateLimit-Limit', remaining: 'X-RateLimit-Remaining', reset: 'X-RateLimit-Reset' },
      resetUnit: 'seconds-by-magnitude',
    },
    errors: { messagePaths: ['error.message'], reasonPaths: ['error.code'] },
  },
});

import { defineProvider } from './provider-schema.js';

// LinkedIn 3-legged OAuth. Access tokens last 60 days; programmatic refresh tokens are issued only
// to approved partners. Revocation takes client id, secret and token in the body. A refresh does
// not restart the refresh token's 365-day lifetime, counted from the first authorization (the
// programmatic refresh tokens page); the file declares no rotation.
// unverified: the revoke endpoint and its body (no LinkedIn page found that documents
// /oauth/v2/revoke, though public client code posts client_id, client_secret and token there as a
// form; the docs.revocation link is the introspection page of the same OAuth server),
// and rate-limit headers (the rate-limits page documents daily quotas and 429 only).
// Searched 2026-12-02: docs and pages corpora ("LinkedIn oauth v2 revoke"), find_string
// "linkedin.com/oauth/v2/revoke" (client code only), and LinkedIn's own
// linkedin-developers/linkedin-api-js-client lib/auth.ts, which wraps accessToken, refresh and
// introspectToken but no revoke.
export default defineProvider({
  name: 'LINKEDIN',
  key: 'linkedin',
  displayName: 'LinkedIn',
  categories: ['Social'],
  authModes: ['OAUTH2'],
  docs: {
    authorization: 'https://learn.microsoft.com/en-us/linkedin/shared/authentication/authorization-code-flow#step-2-request-an-authorization-code',
    token: 'https://learn.microsoft.com/en-us/linkedin/shared/authentication/authorization-code-flow#step-3-exchange-authorization-code-for-an-access-token',
    scopes: 'https://learn.microsoft.com/en-us/linkedin/shared/authentication/getting-access',
    refresh: 'https://learn.microsoft.com/en-us/linkedin/shared/authentication/programmatic-refresh-tokens',
    revocation: 'https://learn.microsoft.com/en-us/linkedin/shared/authentication/token-introspection',
    identity: 'https://learn.microsoft.com/en-us/linkedin/consumer/integrations/self-serve/sign-in-with-linkedin-v2#api-request-to-retreive-member-details',
    api: 'https://learn.microsoft.com/en-us/linkedin/',
    rateLimits: 'https://learn.microsoft.com/en-us/linkedin/shared/api-guide/concepts/rate-limits',
    errors: 'https://learn.microsoft.com/en-us/linkedin/shared/api-guide/concepts/error-handling',
  },
  oauth: {
    issuer: 'https://www.linkedin.com/oauth',
    endpoints: {
      authorization: 'https://www.linkedin.com/oauth/v2/authorization',
      token: 'https://www.linkedin.com/oauth/v2/accessToken',
      revocation: 'https://www.linkedin.com/oauth/v2/revoke',
    },
    appRegistrationUrl: 'https://www.linkedin.com/developers/apps',
    scopeSeparator: ' ',
    clientAuthMethod: 'client_secret_post',
    pkce: false,
    supportsRefresh: true,
    revocation: 'rfc7009',
    identity: { from: 'api', path: '/v2/userinfo', idPath: 'sub', namePath: 'name' },
    scopes: [
      {
        scope: 'openid',
        title: 'Sign in',
        description: 'Sign in with LinkedIn using OpenID Connect.',
        category: 'Profile',
        isDefault: true,
      },
      {
        scope: 'profile',
        title: 'Profile',
        description: 'Read the member’s name and photo.',
        category: 'Profile',
        isDefault: true,
      },
      {
        scope: 'email',
        title: 'Email',
        description: 'Read the member’s primary email address.',
        category: 'Profile',
      },
      {
        scope: 'w_member_social',
        title: 'Share',
        description: 'Post, comment and react on the member’s behalf.',
        category: 'Sharing',
      },
    ],
  },
  api: {
    baseUrl: 'https://api.linkedin.com',
    rateLimits: { statuses: [429], retryAfter: false },
    errors: { messagePaths: ['message'], reasonPaths: ['serviceErrorCode'] },
  },
});

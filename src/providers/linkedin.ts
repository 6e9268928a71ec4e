import { defineProvider } from './provider-schema.js';

// LinkedIn 3-legged OAuth. Access tokens last 60 days; programmatic refresh tokens are issued only
// to approved partners. Revocation takes client id, secret and token in the body. A refresh does
// not restart the refresh token's 365-day lifetime, counted from the first authorization (the
// programmatic refresh tokens page); the file declares no rotation.
// unverified: the revoke endpoint and its body. No LinkedIn page found documents /oauth/v2/revoke
// (docs.revocation is the introspection page of the same OAuth server, which takes client_id,
// client_secret and token as a form); public client code posts those three fields there, and other
// public code says LinkedIn has no revocation endpoint. Searched 2026-12-02: docs, pages and code
// corpora ("LinkedIn oauth v2 revoke", "openid-configuration revocation_endpoint"), find_string
// "linkedin.com/oauth/v2/revoke" (client code only), LinkedIn's own
// linkedin-developers/linkedin-api-js-client lib/auth.ts, linkedin-api-python-client's auth client
// and java-sample-application's LinkedInOAuthService (accessToken, refresh, client credentials and
// introspectToken, no revoke); no copy of LinkedIn's discovery document with a revocation_endpoint
// was found. If the endpoint refuses, sign-out reports the revocation refused and still forgets the
// tokens locally; the token then lives out its 60 days unless the member removes the app.
// Rate limits: the rate-limits page documents daily quotas and 429 only, no header, so a 429 waits
// defaultWaitSeconds (60) and no quota is read.
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

import { defineProvider } from './provider-schema.js';

// Linear OAuth 2.0 (linear.app/developers/oauth-2-0-authentication): scopes are comma-separated,
// PKCE is supported, the token request is form-encoded. Access tokens last 24 hours with a rotating
// refresh token; every OAuth app was migrated to refresh tokens on April 1, 2026. The API is
// GraphQL only, so identity is not looked up by GET.
// unverified: the revoke request's client authentication. The OAuth page names the endpoint
// (docs.revocation); the gateway sends RFC 7009 (token, token_type_hint, client_id and
// client_secret in the form), as RFC 7009 §2.1 asks of a confidential client. Undocumented by what
// was readable (searched 2026-12-02: docs and pages corpora, whose copies of the OAuth page under
// linear.app/developers, linear.app/docs/oauth and developers.linear.app end before its revoke
// section; Linear's own repositories linear/linear (the SDK, GraphQL only) and
// linear/linear-zapier (no revoke); find_string "api.linear.app/oauth/revoke": client code sends
// a bearer header alone or a bare token field). If Linear wants the bearer form instead, sign-out
// reports the revocation refused and still forgets the tokens locally.
export default defineProvider({
  name: 'LINEAR',
  key: 'linear',
  displayName: 'Linear',
  categories: ['Project management'],
  authModes: ['OAUTH2'],
  docs: {
    authorization: 'https://linear.app/developers/oauth-2-0-authentication#redirect-user-access-requests-to-linear',
    token: 'https://linear.app/developers/oauth-2-0-authentication#exchange-code-for-an-access-token',
    scopes: 'https://linear.app/developers/oauth-2-0-authentication#redirect-user-access-requests-to-linear',
    refresh: 'https://linear.app/developers/oauth-2-0-authentication#refresh-an-access-token',
    revocation: 'https://linear.app/developers/oauth-2-0-authentication#revoke-an-access-token',
    identity: 'https://linear.app/developers/oauth-2-0-authentication#exchange-code-for-an-access-token',
    api: 'https://linear.app/developers/graphql',
    rateLimits: 'https://linear.app/developers/rate-limiting',
    errors: 'https://linear.app/developers/graphql#errors',
  },
  oauth: {
    issuer: 'https://linear.app',
    endpoints: {
      authorization: 'https://linear.app/oauth/authorize',
      token: 'https://api.linear.app/oauth/token',
      revocation: 'https://api.linear.app/oauth/revoke',
    },
    appRegistrationUrl: 'https://linear.app/settings/api/applications/new',
    scopeSeparator: ',',
    clientAuthMethod: 'client_secret_post',
    pkce: true,
    supportsRefresh: true,
    revocation: 'rfc7009',
    identity: { from: 'none' },
    quirks: { grantedScopeSeparator: ',', refreshTokenRotates: true },
    scopes: [
      {
        scope: 'read',
        title: 'Read',
        description: 'Read access to the user’s account and workspace.',
        category: 'Workspace',
        isDefault: true,
      },
      {
        scope: 'write',
        title: 'Write',
        description: 'Write access to the user’s account and workspace.',
        category: 'Workspace',
      },
      {
        scope: 'issues:create',
        title: 'Create issues',
        description: 'Create issues and their attachments.',
        category: 'Issues',
      },
      {
        scope: 'comments:create',
        title: 'Comment',
        description: 'Create issue comments.',
        category: 'Issues',
      },
      {
        scope: 'timeSchedule:write',
        title: 'Time schedules',
        description: 'Create and change time schedules.',
        category: 'Workspace',
      },
      {
        scope: 'admin',
        title: 'Admin',
        description: 'Full access to admin-level endpoints.',
        category: 'Workspace',
      },
    ],
  },
  api: {
    baseUrl: 'https://api.linear.app',
    rateLimits: {
      statuses: [429, 400],
      retryAfter: false,
      headers: {
        limit: 'X-RateLimit-Requests-Limit',
        remaining: 'X-RateLimit-Requests-Remaining',
        reset: 'X-RateLimit-Requests-Reset',
      },
      resetUnit: 'epoch-milliseconds',
    },
    errors: { messagePaths: ['errors.0.message'], reasonPaths: ['errors.0.extensions.code'] },
  },
});

import { defineProvider } from './provider-schema.js';

// GitLab.com as an OAuth 2.0 provider (Doorkeeper); point the endpoint variables at a self-managed
// instance. Access tokens last two hours and each refresh invalidates the old access and refresh
// tokens and issues new ones. Revocation posts client_id, client_secret and token as a form. 429
// answers carry Retry-After; every answer carries RateLimit-* headers (RateLimit-Reset in Unix time).
export default defineProvider({
  name: 'GITLAB',
  key: 'gitlab',
  displayName: 'GitLab',
  categories: ['Developer tools'],
  authModes: ['OAUTH2'],
  docs: {
    authorization: 'https://docs.gitlab.com/api/oauth2/#authorization-code-with-proof-key-for-code-exchange-pkce',
    token: 'https://docs.gitlab.com/api/oauth2/#authorization-code-with-proof-key-for-code-exchange-pkce',
    scopes: 'https://docs.gitlab.com/integration/oauth_provider/#view-all-authorized-applications',
    refresh: 'https://docs.gitlab.com/api/oauth2/#authorization-code-flow',
    revocation: 'https://docs.gitlab.com/api/oauth2/#revoke-a-token',
    identity: 'https://docs.gitlab.com/api/users/#get-the-current-user',
    api: 'https://docs.gitlab.com/api/rest/',
    rateLimits: 'https://docs.gitlab.com/administration/settings/user_and_ip_rate_limits/#response-headers',
    errors: 'https://docs.gitlab.com/api/rest/troubleshooting/#status-codes',
  },
  oauth: {
    issuer: 'https://gitlab.com',
    endpoints: {
      authorization: 'https://gitlab.com/oauth/authorize',
      token: 'https://gitlab.com/oauth/token',
      revocation: 'https://gitlab.com/oauth/revoke',
    },
    appRegistrationUrl: 'https://gitlab.com/-/user_settings/applications',
    scopeSeparator: ' ',
    clientAuthMethod: 'client_secret_post',
    pkce: true,
    supportsRefresh: true,
    revocation: 'rfc7009',
    identity: { from: 'api', path: '/user', idPath: 'id', namePath: 'username' },
    quirks: { refreshTokenRotates: true },
    scopes: [
      {
        scope: 'read_user',
        title: 'Read profile',
        description: 'Read the authenticated user’s profile.',
        category: 'User',
        isDefault: true,
      },
      {
        scope: 'api',
        title: 'Full API',
        description: 'Complete read and write access to the API, including all groups and projects.',
        category: 'API',
      },
      {
        scope: 'read_api',
        title: 'Read API',
        description: 'Read access to the API, including all groups and projects.',
        category: 'API',
      },
      {
        scope: 'read_repository',
        title: 'Read repositories',
        description: 'Read private repositories over Git-over-HTTP and the repository files API.',
        category: 'Repositories',
      },
      {
        scope: 'write_repository',
        title: 'Write repositories',
        description: 'Push to private repositories over Git-over-HTTP.',
        category: 'Repositories',
      },
      {
        scope: 'read_registry',
        title: 'Read registry',
        description: 'Read container registry images.',
        category: 'Registry',
      },
      {
        scope: 'openid',
        title: 'OpenID Connect',
        description: 'Authenticate with GitLab using OpenID Connect.',
        category: 'User',
      },
      {
        scope: 'profile',
        title: 'Profile claims',
        description: 'Read the user’s profile through OpenID Connect.',
        category: 'User',
      },
      {
        scope: 'email',
        title: 'Email',
        description: 'Read the user’s primary email through OpenID Connect.',
        category: 'User',
      },
    ],
  },
  api: {
    baseUrl: 'https://gitlab.com/api/v4',
    rateLimits: {
      statuses: [429],
      retryAfter: true,
      headers: { limit: 'RateLimit-Limit', remaining: 'RateLimit-Remaining', reset: 'RateLimit-Reset' },
      resetUnit: 'epoch-seconds',
    },
    errors: { messagePaths: ['message', 'error_description', 'error'], reasonPaths: ['error'] },
  },
});

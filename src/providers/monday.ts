import { defineProvider } from './provider-schema.js';

// monday.com OAuth. Tokens do not expire and there is no refresh token. The API is GraphQL only
// (POST /v2), so identity is not looked up by GET.
export default defineProvider({
  name: 'MONDAY',
  key: 'monday',
  displayName: 'monday.com',
  categories: ['Project management'],
  authModes: ['OAUTH2'],
  docs: {
    authorization: 'https://developer.monday.com/apps/docs/oauth#authorization-request',
    token: 'https://developer.monday.com/apps/docs/oauth#token-request',
    scopes: 'https://developer.monday.com/apps/docs/oauth#scopes',
    identity: 'https://developer.monday.com/apps/docs/oauth#token-request',
    api: 'https://developer.monday.com/api-reference/docs',
    rateLimits: 'https://developer.monday.com/api-reference/docs/rate-limits',
    errors: 'https://developer.monday.com/api-reference/docs/errors',
  },
  oauth: {
    issuer: 'https://auth.monday.com',
    endpoints: {
      authorization: 'https://auth.monday.com/oauth2/authorize',
      token: 'https://auth.monday.com/oauth2/token',
    },
    appRegistrationUrl: 'https://auth.monday.com/apps_ms/my-apps',
    scopeSeparator: ' ',
    clientAuthMethod: 'client_secret_post',
    pkce: false,
    supportsRefresh: false,
    identity: { from: 'none' },
    scopes: [
      {
        scope: 'me:read',
        title: 'Profile',
        description: 'Read the user’s profile.',
        category: 'Account',
        isDefault: true,
      },
      {
        scope: 'boards:read',
        title: 'Read boards',
        description: 'Read boards the user can see.',
        category: 'Boards',
        isDefault: true,
      },
      {
        scope: 'boards:write',
        title: 'Write boards',
        description: 'Create and change boards and items.',
        category: 'Boards',
      },
      {
        scope: 'workspaces:read',
        title: 'Read workspaces',
        description: 'Read workspaces.',
        category: 'Workspaces',
      },
      {
        scope: 'users:read',
        title: 'Read users',
        description: 'Read the account’s users.',
        category: 'Users',
      },
      {
        scope: 'account:read',
        title: 'Account',
        description: 'Read the account’s information.',
        category: 'Account',
      },
      { scope: 'updates:read', title: 'Read updates', description: 'Read updates.', category: 'Updates' },
      {
        scope: 'webhooks:write',
        title: 'Webhooks',
        description: 'Create and delete webhooks.',
        category: 'Webhooks',
      },
    ],
  },
  api: {
    baseUrl: 'https://api.monday.com',
    rateLimits: { statuses: [429], retryAfter: true },
    errors: {
      messagePaths: ['errors.0.message', 'error_message'],
      reasonPaths: ['errors.0.extensions.code', 'error_code'],
    },
  },
});

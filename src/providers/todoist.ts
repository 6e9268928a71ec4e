import { defineProvider } from './provider-schema.js';

// Todoist OAuth. Scopes are comma-separated; tokens do not expire and there is no refresh token.
export default defineProvider({
  name: 'TODOIST',
  key: 'todoist',
  displayName: 'Todoist',
  categories: ['Productivity'],
  authModes: ['OAUTH2'],
  docs: {
    authorization: 'https://developer.todoist.com/guides/#step-1-authorization-request',
    token: 'https://developer.todoist.com/guides/#step-3-token-exchange',
    scopes: 'https://developer.todoist.com/guides/#step-1-authorization-request',
    identity: 'https://developer.todoist.com/api/v1/#tag/User',
    api: 'https://developer.todoist.com/api/v1/',
    rateLimits: 'https://developer.todoist.com/api/v1/#tag/Request-limits',
    errors: 'https://developer.todoist.com/api/v1/#tag/Errors',
  },
  oauth: {
    issuer: 'https://todoist.com',
    endpoints: {
      authorization: 'https://todoist.com/oauth/authorize',
      token: 'https://todoist.com/oauth/access_token',
    },
    appRegistrationUrl: 'https://developer.todoist.com/appconsole.html',
    scopeSeparator: ',',
    clientAuthMethod: 'client_secret_post',
    pkce: false,
    supportsRefresh: false,
    identity: { from: 'api', path: '/api/v1/user', idPath: 'id', namePath: 'full_name' },
    quirks: { grantedScopeSeparator: ',', scopeAbsentMeansRequested: true },
    scopes: [
      {
        scope: 'data:read',
        title: 'Read',
        description: 'Read tasks, projects, labels and filters.',
        category: 'Data',
        isDefault: true,
      },
      {
        scope: 'data:read_write',
        title: 'Read and write',
        description: 'Read and change tasks, projects, labels and filters.',
        category: 'Data',
      },
      { scope: 'task:add', title: 'Add tasks', description: 'Add new tasks only.', category: 'Data' },
      {
        scope: 'data:delete',
        title: 'Delete',
        description: 'Delete tasks, labels and filters.',
        category: 'Data',
      },
      {
        scope: 'project:delete',
        title: 'Delete projects',
        description: 'Delete projects.',
        category: 'Data',
      },
    ],
  },
  api: {
    baseUrl: 'https://api.todoist.com',
    rateLimits: { statuses: [429], retryAfter: true },
    errors: { messagePaths: ['error'], reasonPaths: ['error_tag'] },
  },
});

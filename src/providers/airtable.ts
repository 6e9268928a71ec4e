import { defineProvider } from './provider-schema.js';

// Airtable OAuth: PKCE (S256) is required. Confidential clients use Basic authentication. Access
// tokens last one hour; refresh tokens are single-use and each refresh answer carries the next one.
// The OAuth reference lists code_challenge with method S256 among the authorization parameters and
// the token creation and refresh requests' Authorization header for confidential clients.
// Rate limit: 5 requests a second per base, then a 429 and a 30-second wait (support.airtable.com,
// "Managing API call limits"), hence defaultWaitSeconds 30 and no headers.
export default defineProvider({
  name: 'AIRTABLE',
  key: 'airtable',
  displayName: 'Airtable',
  categories: ['Productivity'],
  authModes: ['OAUTH2'],
  docs: {
    authorization: 'https://airtable.com/developers/web/api/oauth-reference#authorization-request',
    token: 'https://airtable.com/developers/web/api/oauth-reference#authorization-code-grant',
    scopes: 'https://airtable.com/developers/web/api/scopes',
    refresh: 'https://airtable.com/developers/web/api/oauth-reference#refresh-token-grant',
    identity: 'https://airtable.com/developers/web/api/get-user-id-scopes',
    api: 'https://airtable.com/developers/web/api/introduction',
    rateLimits: 'https://airtable.com/developers/web/api/rate-limits',
    errors: 'https://airtable.com/developers/web/api/errors',
  },
  oauth: {
    issuer: 'https://airtable.com',
    endpoints: {
      authorization: 'https://airtable.com/oauth2/v1/authorize',
      token: 'https://airtable.com/oauth2/v1/token',
    },
    appRegistrationUrl: 'https://airtable.com/create/oauth',
    scopeSeparator: ' ',
    clientAuthMethod: 'client_secret_basic',
    pkce: true,
    supportsRefresh: true,
    identity: { from: 'api', path: '/v0/meta/whoami', idPath: 'id', namePath: 'email' },
    quirks: { refreshTokenRotates: true },
    scopes: [
      {
        scope: 'data.records:read',
        title: 'Read records',
        description: 'Read records in bases.',
        category: 'Records',
        isDefault: true,
      },
      {
        scope: 'data.records:write',
        title: 'Write records',
        description: 'Create, edit and delete records.',
        category: 'Records',
      },
      {
        scope: 'data.recordComments:read',
        title: 'Read comments',
        description: 'Read record comments.',
        category: 'Records',
      },
      {
        scope: 'schema.bases:read',
        title: 'Read schema',
        description: 'Read the structure of bases: tables and fields.',
        category: 'Schema',
        isDefault: true,
      },
      {
        scope: 'schema.bases:write',
        title: 'Edit schema',
        description: 'Create and change tables and fields.',
        category: 'Schema',
      },
      {
        scope: 'user.email:read',
        title: 'Email',
        description: 'Read the user’s email address.',
        category: 'User',
      },
      {
        scope: 'webhook:manage',
        title: 'Webhooks',
        description: 'Create and manage webhooks.',
        category: 'Webhooks',
      },
    ],
  },
  api: {
    baseUrl: 'https://api.airtable.com',
    rateLimits: { statuses: [429], retryAfter: false, defaultWaitSeconds: 30 },
    errors: { messagePaths: ['error.message'], reasonPaths: ['error.type'] },
  },
});

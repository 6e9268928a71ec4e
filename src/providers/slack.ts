import { defineProvider } from './provider-schema.js';

// Slack OAuth v2 (granular bot scopes). Scopes are comma-separated both ways; errors come back as
// {"ok": false, "error": …} with HTTP 200. Tokens expire (12 hours) and refresh tokens rotate only
// when the app turns on token rotation; otherwise tokens never expire. auth.revoke takes the token
// itself as bearer. oauth.v2.access asks for the client id and secret by HTTP Basic rather than as
// parameters; rate-limited calls answer 429 with Retry-After in seconds
// (https://api.slack.com/docs/rate-limits).
export default defineProvider({
  name: 'SLACK',
  key: 'slack',
  displayName: 'Slack',
  categories: ['Communication'],
  authModes: ['OAUTH2'],
  docs: {
    authorization: 'https://docs.slack.dev/authentication/installing-with-oauth',
    token: 'https://docs.slack.dev/reference/methods/oauth.v2.access',
    scopes: 'https://docs.slack.dev/reference/scopes',
    refresh: 'https://docs.slack.dev/authentication/using-token-rotation',
    revocation: 'https://docs.slack.dev/reference/methods/auth.revoke',
    identity: 'https://docs.slack.dev/reference/methods/auth.test',
    api: 'https://docs.slack.dev/apis/web-api/',
    rateLimits: 'https://docs.slack.dev/apis/web-api/rate-limits',
    errors: 'https://docs.slack.dev/apis/web-api/#evaluating-responses',
  },
  oauth: {
    issuer: 'https://slack.com',
    endpoints: {
      authorization: 'https://slack.com/oauth/v2/authorize',
      token: 'https://slack.com/api/oauth.v2.access',
      revocation: 'https://slack.com/api/auth.revoke',
    },
    appRegistrationUrl: 'https://api.slack.com/apps',
    scopeSeparator: ',',
    clientAuthMethod: 'client_secret_basic',
    pkce: false,
    supportsRefresh: true,
    revocation: 'bearer-token',
    identity: { from: 'api', path: '/auth.test', idPath: 'user_id', namePath: 'team' },
    quirks: {
      errorsWithStatus200: true,
      grantedScopeSeparator: ',',
      refreshTokenRotates: true,
      keepFields: ['bot_user_id', 'app_id'],
    },
    scopes: [
      {
        scope: 'channels:read',
        title: 'List channels',
        description: 'View basic information about public channels.',
        category: 'Channels',
        isDefault: true,
      },
      {
        scope: 'channels:history',
        title: 'Read channel messages',
        description: 'View messages in public channels the app is in.',
        category: 'Channels',
      },
      {
        scope: 'groups:read',
        title: 'List private channels',
        description: 'View basic information about private channels the app is in.',
        category: 'Channels',
      },
      {
        scope: 'chat:write',
        title: 'Send messages',
        description: 'Post messages as the app.',
        category: 'Messages',
        isDefault: true,
      },
      {
        scope: 'im:history',
        title: 'Read direct messages',
        description: 'View messages in direct messages with the app.',
        category: 'Messages',
      },
      {
        scope: 'users:read',
        title: 'List people',
        description: 'View people in the workspace.',
        category: 'Users',
        isDefault: true,
      },
      {
        scope: 'users:read.email',
        title: 'Email addresses',
        description: 'View email addresses of people in the workspace.',
        category: 'Users',
      },
      {
        scope: 'reactions:write',
        title: 'Add reactions',
        description: 'Add and remove emoji reactions.',
        category: 'Messages',
      },
      {
        scope: 'files:read',
        title: 'Read files',
        description: 'View files shared in channels the app is in.',
        category: 'Files',
      },
      {
        scope: 'files:write',
        title: 'Upload files',
        description: 'Upload, edit and delete files as the app.',
        category: 'Files',
      },
      {
        scope: 'team:read',
        title: 'Workspace info',
        description: 'View the workspace’s name, email domain and icon.',
        category: 'Workspace',
      },
    ],
  },
  api: {
    baseUrl: 'https://slack.com/api',
    rateLimits: { statuses: [429], retryAfter: true },
    errors: { messagePaths: ['error'], reasonPaths: ['error'] },
  },
});

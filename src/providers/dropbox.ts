import { defineProvider } from './provider-schema.js';

// Dropbox OAuth 2. token_access_type=offline asks for a long-lived refresh token; access tokens
// last four hours and refresh answers leave out refresh_token. The token answer names the account
// (account_id); revocation is POST /2/auth/token/revoke with the access token as bearer and no
// arguments, and it also disables the refresh token behind it (Dropbox SDK reference, tokenRevoke).
// A rate limit answers 429 (reason too_many_requests) and always carries Retry-After in seconds
// (the performance guide linked as docs.rateLimits).
export default defineProvider({
  name: 'DROPBOX',
  key: 'dropbox',
  displayName: 'Dropbox',
  categories: ['Files'],
  authModes: ['OAUTH2'],
  docs: {
    authorization: 'https://www.dropbox.com/developers/documentation/http/documentation#oauth2-authorize',
    token: 'https://www.dropbox.com/developers/documentation/http/documentation#oauth2-token',
    scopes: 'https://developers.dropbox.com/oauth-guide#dropbox-api-permissions',
    refresh: 'https://developers.dropbox.com/oauth-guide#using-refresh-tokens',
    revocation: 'https://www.dropbox.com/developers/documentation/http/documentation#auth-token-revoke',
    identity: 'https://www.dropbox.com/developers/documentation/http/documentation#oauth2-token',
    api: 'https://www.dropbox.com/developers/documentation/http/overview',
    rateLimits: 'https://developers.dropbox.com/dbx-performance-guide#rate-limits',
    errors: 'https://www.dropbox.com/developers/documentation/http/documentation#error-handling',
  },
  oauth: {
    issuer: 'https://www.dropbox.com',
    endpoints: {
      authorization: 'https://www.dropbox.com/oauth2/authorize',
      token: 'https://api.dropboxapi.com/oauth2/token',
      revocation: 'https://api.dropboxapi.com/2/auth/token/revoke',
    },
    appRegistrationUrl: 'https://www.dropbox.com/developers/apps',
    scopeSeparator: ' ',
    clientAuthMethod: 'client_secret_basic',
    pkce: true,
    supportsRefresh: true,
    revocation: 'bearer-token',
    authorizationParams: { token_access_type: 'offline' },
    identity: { from: 'token-response', idField: 'account_id' },
    quirks: { refreshTokenMayBeOmitted: true, keepFields: ['account_id', 'team_id'] },
    scopes: [
      {
        scope: 'account_info.read',
        title: 'Account info',
        description: 'View basic information about the Dropbox account.',
        category: 'Account',
        isDefault: true,
      },
      {
        scope: 'files.metadata.read',
        title: 'File names',
        description: 'View information about files and folders.',
        category: 'Files',
        isDefault: true,
      },
      {
        scope: 'files.metadata.write',
        title: 'Organize files',
        description: 'Move, rename and delete files and folders.',
        category: 'Files',
      },
      {
        scope: 'files.content.read',
        title: 'Read files',
        description: 'View and download file content.',
        category: 'Files',
      },
      {
        scope: 'files.content.write',
        title: 'Write files',
        description: 'Upload and edit file content.',
        category: 'Files',
      },
      {
        scope: 'sharing.read',
        title: 'Read sharing',
        description: 'View sharing settings and collaborators.',
        category: 'Sharing',
      },
      {
        scope: 'sharing.write',
        title: 'Manage sharing',
        description: 'Share files and folders and change sharing settings.',
        category: 'Sharing',
      },
      {
        scope: 'file_requests.read',
        title: 'Read file requests',
        description: 'View file requests.',
        category: 'File requests',
      },
    ],
  },
  api: {
    baseUrl: 'https://api.dropboxapi.com',
    rateLimits: { statuses: [429], retryAfter: true },
    errors: { messagePaths: ['error_summary'], reasonPaths: ['error..tag'] },
  },
});

import { defineProvider } from './provider-schema.js';

// Atlassian Cloud OAuth 2.0 (3LO) for Jira and Confluence. audience=api.atlassian.com and
// prompt=consent are required; refresh tokens need offline_access and rotate. API calls go to
// https://api.atlassian.com/ex/jira/{cloudId}/… or /ex/confluence/{cloudId}/…, the cloud id coming
// from GET /oauth/token/accessible-resources: one token can reach several sites.
// The token endpoint takes its parameters (client_id and client_secret included) as a JSON body:
// the 3LO page's code exchange and refresh examples both send `Content-Type: application/json`.
// Each refresh answers a new refresh token and disables the one used (its refresh-token FAQ).
// Per-account hosts: https://developer.atlassian.com/cloud/jira/platform/oauth-2-3lo-apps/#apicall
// Confluence scopes: https://developer.atlassian.com/cloud/confluence/scopes-for-oauth-2-3LO-and-forge-apps/
export default defineProvider({
  name: 'ATLASSIAN',
  key: 'atlassian',
  displayName: 'Atlassian (Jira, Confluence)',
  categories: ['Project management'],
  authModes: ['OAUTH2'],
  docs: {
    authorization: 'https://developer.atlassian.com/cloud/jira/platform/oauth-2-3lo-apps/#1--direct-the-user-to-the-authorization-url-to-get-an-authorization-code',
    token: 'https://developer.atlassian.com/cloud/jira/platform/oauth-2-3lo-apps/#accesstoken',
    scopes: 'https://developer.atlassian.com/cloud/jira/platform/scopes-for-oauth-2-3LO-and-forge-apps/',
    refresh: 'https://developer.atlassian.com/cloud/jira/platform/oauth-2-3lo-apps/#faq-use-refresh-token-to-get-access-token',
    identity: 'https://developer.atlassian.com/cloud/jira/platform/oauth-2-3lo-apps/#faq4',
    api: 'https://developer.atlassian.com/cloud/jira/platform/rest/v3/intro/',
    rateLimits: 'https://developer.atlassian.com/cloud/jira/platform/rate-limiting/',
    errors: 'https://developer.atlassian.com/cloud/jira/platform/rest/v3/intro/#status-codes',
  },
  oauth: {
    issuer: 'https://auth.atlassian.com',
    endpoints: {
      authorization: 'https://auth.atlassian.com/authorize',
      token: 'https://auth.atlassian.com/oauth/token',
    },
    appRegistrationUrl: 'https://developer.atlassian.com/console/myapps/',
    scopeSeparator: ' ',
    clientAuthMethod: 'client_secret_post',
    pkce: false,
    supportsRefresh: true,
    authorizationParams: { audience: 'api.atlassian.com', prompt: 'consent' },
    identity: { from: 'api', path: '/me', idPath: 'account_id', namePath: 'name' },
    quirks: { refreshTokenRotates: true, jsonTokenRequests: true },
    scopes: [
      {
        scope: 'offline_access',
        title: 'Stay connected',
        description: 'Receive a refresh token.',
        category: 'Account',
        isRequired: true,
      },
      {
        scope: 'read:me',
        title: 'Read profile',
        description: 'Read the user’s Atlassian account profile.',
        category: 'Account',
        isDefault: true,
      },
      {
        scope: 'read:jira-user',
        title: 'Read Jira users',
        description: 'View user information in Jira.',
        category: 'Jira',
      },
      {
        scope: 'read:jira-work',
        title: 'Read Jira work',
        description: 'Read projects, issues, comments and worklogs.',
        category: 'Jira',
        isDefault: true,
      },
      {
        scope: 'write:jira-work',
        title: 'Write Jira work',
        description: 'Create and edit issues, comments and worklogs.',
        category: 'Jira',
      },
      {
        scope: 'manage:jira-project',
        title: 'Manage Jira projects',
        description: 'Create and edit project settings and components.',
        category: 'Jira',
      },
      {
        scope: 'read:confluence-content.all',
        title: 'Read Confluence content',
        description: 'Read all content, including page bodies.',
        category: 'Confluence',
      },
      {
        scope: 'read:confluence-space.summary',
        title: 'Read Confluence spaces',
        description: 'Read a summary of Confluence spaces.',
        category: 'Confluence',
      },
      {
        scope: 'write:confluence-content',
        title: 'Write Confluence content',
        description: 'Create and update pages, blog posts and comments.',
        category: 'Confluence',
      },
      {
        scope: 'search:confluence',
        title: 'Search Confluence',
        description: 'Search Confluence content and spaces.',
        category: 'Confluence',
      },
    ],
  },
  api: {
    baseUrl: 'https://api.atlassian.com',
    rateLimits: { statuses: [429], retryAfter: true },
    errors: { messagePaths: ['errorMessages.0', 'message'], reasonPaths: ['code'] },
  },
});

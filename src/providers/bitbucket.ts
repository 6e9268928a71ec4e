import { defineProvider } from './provider-schema.js';

// Bitbucket Cloud OAuth 2.0 consumers. Basic client authentication; access tokens last two hours.
// Since 4 May 2026 every refresh returns a new refresh token and the used one stops working; unused
// refresh tokens expire after three months, and token answers carry `scope` (no longer `scopes`).
// Scopes are set on the consumer; the scope parameter can only narrow them.
// No PKCE: Atlassian's own tracker, jira.atlassian.com/browse/BCLOUD-23469 (a suggestion, still
// unresolved), says the Bitbucket Cloud API "does not currently offer" the PKCE flow, and the OAuth
// page names no code_challenge parameter, so none is sent. (Bitbucket Data Center does support
// PKCE; that is a different product.) Some Cloud clients send a challenge anyway (Git Credential
// Manager, per avivsinai/bitbucket-cli#153), which shows the parameters are tolerated, not checked.
export default defineProvider({
  name: 'BITBUCKET',
  key: 'bitbucket',
  displayName: 'Bitbucket',
  categories: ['Developer tools'],
  authModes: ['OAUTH2'],
  docs: {
    authorization: 'https://developer.atlassian.com/cloud/bitbucket/oauth-2/',
    token: 'https://developer.atlassian.com/cloud/bitbucket/oauth-2/',
    scopes: 'https://developer.atlassian.com/cloud/bitbucket/rest/intro/#bitbucket-oauth-2-0-scopes',
    refresh: 'https://community.developer.atlassian.com/t/oauth-2-0-and-api-authentication-changes-for-bitbucket-cloud/99003',
    identity: 'https://developer.atlassian.com/cloud/bitbucket/rest/api-group-users/#api-user-get',
    api: 'https://developer.atlassian.com/cloud/bitbucket/rest/intro/',
    rateLimits: 'https://support.atlassian.com/bitbucket-cloud/docs/api-request-limits/',
    errors: 'https://developer.atlassian.com/cloud/bitbucket/rest/intro/#standardized-error-responses',
  },
  oauth: {
    issuer: 'https://bitbucket.org',
    endpoints: {
      authorization: 'https://bitbucket.org/site/oauth2/authorize',
      token: 'https://bitbucket.org/site/oauth2/access_token',
    },
    appRegistrationUrl: 'https://bitbucket.org/account/settings/',
    scopeSeparator: ' ',
    clientAuthMethod: 'client_secret_basic',
    pkce: false,
    supportsRefresh: true,
    identity: { from: 'api', path: '/user', idPath: 'uuid', namePath: 'display_name' },
    quirks: { refreshTokenRotates: true },
    scopes: [
      {
        scope: 'account',
        title: 'Account',
        description: 'Read the user’s account information.',
        category: 'Account',
        isDefault: true,
      },
      {
        scope: 'email',
        title: 'Email',
        description: 'Read the user’s email addresses.',
        category: 'Account',
      },
      {
        scope: 'repository',
        title: 'Read repositories',
        description: 'Read repositories the user can access.',
        category: 'Repositories',
        isDefault: true,
      },
      {
        scope: 'repository:write',
        title: 'Write repositories',
        description: 'Push to repositories the user can write to.',
        category: 'Repositories',
      },
      {
        scope: 'pullrequest',
        title: 'Read pull requests',
        description: 'Read pull requests and comment on them.',
        category: 'Pull requests',
      },
      {
        scope: 'pullrequest:write',
        title: 'Manage pull requests',
        description: 'Create, merge and decline pull requests.',
        category: 'Pull requests',
      },
      {
        scope: 'issue',
        title: 'Read issues',
        description: 'Read and comment on issues.',
        category: 'Issues',
      },
      {
        scope: 'issue:write',
        title: 'Manage issues',
        description: 'Create and update issues.',
        category: 'Issues',
      },
      {
        scope: 'webhook',
        title: 'Webhooks',
        description: 'Read and manage webhooks.',
        category: 'Webhooks',
      },
      {
        scope: 'pipeline',
        title: 'Read pipelines',
        description: 'Read pipelines, steps, deployments and variables.',
        category: 'Pipelines',
      },
      {
        scope: 'project',
        title: 'Projects',
        description: 'Read the workspace’s projects.',
        category: 'Projects',
      },
    ],
  },
  api: {
    baseUrl: 'https://api.bitbucket.org/2.0',
    rateLimits: { statuses: [429], retryAfter: false },
    errors: { messagePaths: ['error.message'], reasonPaths: ['error.detail'] },
  },
});

import { defineProvider } from './provider-schema.js';

// GitHub OAuth apps and GitHub Apps share these endpoints. OAuth-app tokens never expire; a GitHub
// App with expiring user tokens answers with expires_in 28800 and a single-use refresh token. PKCE
// (S256 only) is accepted by both since July 2025 and recommended, not required (GitHub changelog
// 2025-07-14, "PKCE support for OAuth and GitHub App authentication"; older copies of the
// authorizing-oauth-apps page still say PKCE is not supported). The token exchange takes client_id
// and client_secret as parameters. Rate limits: 403 or 429 with the x-ratelimit-* headers below
// (reset in UTC epoch seconds); a secondary limit may send Retry-After, else wait a minute.
export default defineProvider({
  name: 'GITHUB',
  key: 'github',
  displayName: 'GitHub',
  categories: ['Developer tools'],
  authModes: ['OAUTH2'],
  docs: {
    authorization: 'https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps#1-request-a-users-github-identity',
    token: 'https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps#2-users-are-redirected-back-to-your-site-by-github',
    scopes: 'https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/scopes-for-oauth-apps',
    refresh: 'https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/refreshing-user-access-tokens',
    revocation: 'https://docs.github.com/en/rest/apps/oauth-applications#delete-an-app-token',
    identity: 'https://docs.github.com/en/rest/users/users#get-the-authenticated-user',
    api: 'https://docs.github.com/en/rest/using-the-rest-api/getting-started-with-the-rest-api',
    rateLimits: 'https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api',
    errors: 'https://docs.github.com/en/rest/using-the-rest-api/troubleshooting-the-rest-api',
    pagination: 'https://docs.github.com/en/rest/using-the-rest-api/using-pagination-in-the-rest-api',
  },
  oauth: {
    issuer: 'https://github.com',
    endpoints: {
      authorization: 'https://github.com/login/oauth/authorize',
      token: 'https://github.com/login/oauth/access_token',
      // `{client_id}` is replaced with the app's client id: DELETE /applications/{client_id}/token.
      revocation: 'https://api.github.com/applications/{client_id}/token',
    },
    appRegistrationUrl: 'https://github.com/settings/developers',
    scopeSeparator: ' ',
    clientAuthMethod: 'client_secret_post',
    // Supported (S256 only) since July 2025; not required by GitHub.
    pkce: true,
    supportsRefresh: true,
    revocation: 'github-token',
    identity: {
      from: 'api',
      path: '/user',
      idPath: 'id',
      namePath: 'login',
      // GitHub rejects API requests without a User-Agent.
      headers: {
        Accept: 'application/vnd.github+json',
        'X-GitHub-Api-Version': '2022-11-28',
        'User-Agent': 'Latchkey',
      },
    },
    quirks: {
      formEncodedUnlessJsonAccepted: true,
      errorsWithStatus200: true,
      grantedScopeSeparator: ',',
      refreshTokenRotates: true,
      reauthErrors: ['bad_refresh_token'],
    },
    scopes: [
      {
        scope: 'read:user',
        title: 'Read profile',
        description: 'Read access to the user’s profile data.',
        category: 'User',
        isDefault: true,
      },
      {
        scope: 'user',
        title: 'Profile (read and write)',
        description: 'Read and write access to profile info, including email addresses and follows.',
        category: 'User',
      },
      {
        scope: 'user:email',
        title: 'Email addresses',
        description: 'Read access to the user’s email addresses.',
        category: 'User',
      },
      {
        scope: 'user:follow',
        title: 'Follow users',
        description: 'Follow and unfollow other users.',
        category: 'User',
      },
      {
        scope: 'repo',
        title: 'Repositories',
        description: 'Full access to public and private repositories, including code, issues and settings.',
        category: 'Repositories',
      },
      {
        scope: 'public_repo',
        title: 'Public repositories',
        description: 'Read and write access to public repositories only.',
        category: 'Repositories',
      },
      {
        scope: 'repo:status',
        title: 'Commit statuses',
        description: 'Read and write access to commit statuses of public and private repositories.',
        category: 'Repositories',
      },
      {
        scope: 'repo_deployment',
        title: 'Deployments',
        description: 'Read and write access to deployments and deployment statuses.',
        category: 'Repositories',
      },
      {
        scope: 'repo:invite',
        title: 'Repository invitations',
        description: 'Accept and decline invitations to collaborate on repositories.',
        category: 'Repositories',
      },
      {
        scope: 'security_events',
        title: 'Security events',
        description: 'Read and write security events such as code scanning alerts.',
        category: 'Repositories',
      },
      {
        scope: 'delete_repo',
        title: 'Delete repositories',
        description: 'Delete repositories the user administers.',
        category: 'Repositories',
      },
      {
        scope: 'workflow',
        title: 'Workflows',
        description: 'Add and update GitHub Actions workflow files.',
        category: 'Repositories',
      },
      {
        scope: 'admin:repo_hook',
        title: 'Repository webhooks (admin)',
        description: 'Read, write, ping and delete webhooks of repositories.',
        category: 'Webhooks',
      },
      {
        scope: 'write:repo_hook',
        title: 'Repository webhooks (write)',
        description: 'Read, write and ping webhooks of repositories.',
        category: 'Webhooks',
      },
      {
        scope: 'read:repo_hook',
        title: 'Repository webhooks (read)',
        description: 'Read and ping webhooks of repositories.',
        category: 'Webhooks',
      },
      {
        scope: 'admin:org_hook',
        title: 'Organization webhooks',
        description: 'Read, write, ping and delete webhooks of organizations.',
        category: 'Webhooks',
      },
      {
        scope: 'read:org',
        title: 'Organizations (read)',
        description: 'Read organization membership, projects and team membership.',
        category: 'Organizations',
      },
      {
        scope: 'write:org',
        title: 'Organizations (write)',
        description: 'Read and write organization membership and projects.',
        category: 'Organizations',
      },
      {
        scope: 'admin:org',
        title: 'Organizations (admin)',
        description: 'Fully manage organizations, their teams, projects and memberships.',
        category: 'Organizations',
      },
      {
        scope: 'gist',
        title: 'Gists',
        description: 'Create and update gists.',
        category: 'Gists',
      },
      {
        scope: 'notifications',
        title: 'Notifications',
        description: 'Read notifications, mark them read and manage thread subscriptions.',
        category: 'Notifications',
      },
      {
        scope: 'read:discussion',
        title: 'Team discussions (read)',
        description: 'Read team discussions.',
        category: 'Discussions',
      },
      {
        scope: 'write:discussion',
        title: 'Team discussions (write)',
        description: 'Read and write team discussions.',
        category: 'Discussions',
      },
      {
        scope: 'read:project',
        title: 'Projects (read)',
        description: 'Read user and organization projects.',
        category: 'Projects',
      },
      {
        scope: 'project',
        title: 'Projects (write)',
        description: 'Read and write user and organization projects.',
        category: 'Projects',
      },
      {
        scope: 'read:packages',
        title: 'Packages (read)',
        description: 'Download packages from GitHub Packages.',
        category: 'Packages',
      },
      {
        scope: 'write:packages',
        title: 'Packages (write)',
        description: 'Upload and publish packages to GitHub Packages.',
        category: 'Packages',
      },
      {
        scope: 'delete:packages',
        title: 'Packages (delete)',
        description: 'Delete packages from GitHub Packages.',
        category: 'Packages',
      },
      {
        scope: 'read:public_key',
        title: 'SSH keys (read)',
        description: 'List and view the user’s public SSH keys.',
        category: 'Keys',
      },
      {
        scope: 'write:public_key',
        title: 'SSH keys (write)',
        description: 'Create, list and view the user’s public SSH keys.',
        category: 'Keys',
      },
      {
        scope: 'admin:public_key',
        title: 'SSH keys (admin)',
        description: 'Fully manage the user’s public SSH keys.',
        category: 'Keys',
      },
      {
        scope: 'read:gpg_key',
        title: 'GPG keys (read)',
        description: 'List and view the user’s GPG keys.',
        category: 'Keys',
      },
      {
        scope: 'write:gpg_key',
        title: 'GPG keys (write)',
        description: 'Create, list and view the user’s GPG keys.',
        category: 'Keys',
      },
      {
        scope: 'admin:gpg_key',
        title: 'GPG keys (admin)',
        description: 'Fully manage the user’s GPG keys.',
        category: 'Keys',
      },
      {
        scope: 'read:ssh_signing_key',
        title: 'SSH signing keys (read)',
        description: 'List and view the user’s SSH signing keys.',
        category: 'Keys',
      },
      {
        scope: 'write:ssh_signing_key',
        title: 'SSH signing keys (write)',
        description: 'Create, list and view the user’s SSH signing keys.',
        category: 'Keys',
      },
      {
        scope: 'admin:ssh_signing_key',
        title: 'SSH signing keys (admin)',
        description: 'Fully manage the user’s SSH signing keys.',
        category: 'Keys',
      },
      {
        scope: 'codespace',
        title: 'Codespaces',
        description: 'Create and manage the user’s codespaces.',
        category: 'Codespaces',
      },
      {
        scope: 'read:audit_log',
        title: 'Audit log (read)',
        description: 'Read the audit log of organizations and enterprises.',
        category: 'Enterprise',
      },
      {
        scope: 'read:enterprise',
        title: 'Enterprise (read)',
        description: 'Read enterprise profile data.',
        category: 'Enterprise',
      },
      {
        scope: 'admin:enterprise',
        title: 'Enterprise (admin)',
        description: 'Fully manage enterprises, including runners, billing and audit log.',
        category: 'Enterprise',
      },
    ],
  },
  api: {
    baseUrl: 'https://api.github.com',
    defaultHeaders: {
      accept: 'application/vnd.github+json',
      'x-github-api-version': '2022-11-28',
      // GitHub refuses API requests without a User-Agent.
      'user-agent': 'Latchkey',
    },
    rateLimits: {
      // A spent primary limit is 403 or 429 with x-ratelimit-remaining 0; a secondary limit is 403 or
      // 429, with Retry-After or else a message saying so (wait at least a minute).
      statuses: [403, 429],
      retryAfter: true,
      headers: {
        limit: 'x-ratelimit-limit',
        remaining: 'x-ratelimit-remaining',
        used: 'x-ratelimit-used',
        reset: 'x-ratelimit-reset',
        resource: 'x-ratelimit-resource',
      },
      resetUnit: 'epoch-seconds',
      defaultWaitSeconds: 60,
      strategy: 'github-secondary',
    },
    errors: { messagePaths: ['message'], details: 'github-errors' },
    pagination: { style: 'link-header' },
    bodyEncoding: 'json',
    acceptedScopesHeader: 'x-accepted-oauth-scopes',
  },
});

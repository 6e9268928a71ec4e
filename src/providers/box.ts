import { defineProvider } from './provider-schema.js';

// Box access tokens last 60 minutes; a refresh token lasts 60 days and works once: every refresh
// answers with a new refresh token that replaces the old one. A rate limit answers 429 with
// retry-after in seconds (Box's rate-limits guide).
export default defineProvider({
  name: 'BOX',
  key: 'box',
  displayName: 'Box',
  categories: ['Files'],
  authModes: ['OAUTH2', 'CLIENT_CREDENTIALS'],
  docs: {
    authorization: 'https://developer.box.com/reference/get-authorize/',
    token: 'https://developer.box.com/reference/post-oauth2-token/',
    scopes: 'https://developer.box.com/guides/api-calls/permissions-and-errors/scopes/',
    refresh: 'https://developer.box.com/guides/authentication/tokens/refresh/',
    revocation: 'https://developer.box.com/reference/post-oauth2-revoke/',
    clientCredentials: 'https://developer.box.com/guides/authentication/client-credentials/',
    identity: 'https://developer.box.com/reference/get-users-me/',
    api: 'https://developer.box.com/reference/',
    rateLimits: 'https://developer.box.com/guides/api-calls/permissions-and-errors/rate-limits/',
    errors: 'https://developer.box.com/reference/resources/client-error/',
    pagination: 'https://developer.box.com/guides/api-calls/pagination/',
  },
  oauth: {
    issuer: 'https://account.box.com',
    endpoints: {
      authorization: 'https://account.box.com/api/oauth2/authorize',
      token: 'https://api.box.com/oauth2/token',
      revocation: 'https://api.box.com/oauth2/revoke',
    },
    appRegistrationUrl: 'https://app.box.com/developers/console',
    scopeSeparator: ' ',
    // Box documents client_id and client_secret as form fields, for the token and revoke endpoints.
    clientAuthMethod: 'client_secret_post',
    // Box's authorize endpoint documents only response_type, client_id, redirect_uri, state and scope,
    // no code_challenge (https://developer.box.com/reference/get-authorize/): no PKCE.
    pkce: false,
    supportsRefresh: true,
    revocation: 'rfc7009',
    // Client Credentials Grant (a Server Authentication app): every token request names the subject,
    // the enterprise's service account or one user. Tokens last 60 minutes; there is no refresh token.
    clientCredentials: {
      params: [
        {
          name: 'box_subject_type',
          description: '"enterprise" for the app\'s service account, "user" for an app user, managed user or admin.',
          required: true,
          allowedValues: ['enterprise', 'user'],
        },
        {
          name: 'box_subject_id',
          description: 'The enterprise id (subject type enterprise) or the user id (subject type user).',
          required: true,
          pattern: '[0-9]{1,20}',
        },
      ],
    },
    identity: { from: 'api', path: '/2.0/users/me', idPath: 'id', namePath: 'login' },
    quirks: {
      // The token response has no `scope`; the requested scopes (a subset of the app's) are granted.
      scopeAbsentMeansRequested: true,
      refreshTokenRotates: true,
    },
    scopes: [
      {
        scope: 'root_readonly',
        title: 'Read all files and folders',
        description: 'Read all files and folders the user can access in Box.',
        category: 'Content',
        isDefault: true,
      },
      {
        scope: 'root_readwrite',
        title: 'Read and write all files and folders',
        description: 'Upload, download, create, change and delete files, folders, comments and tasks.',
        category: 'Content',
      },
      {
        scope: 'manage_managed_users',
        title: 'Manage users',
        description: 'Manage the enterprise’s managed users (admins and co-admins only).',
        category: 'Enterprise',
      },
      {
        scope: 'manage_app_users',
        title: 'Manage app users',
        description: 'Manage the app users of a server-authenticated application.',
        category: 'Enterprise',
      },
      {
        scope: 'manage_groups',
        title: 'Manage groups',
        description: 'Create, update and delete the enterprise’s groups and their members.',
        category: 'Enterprise',
      },
      {
        scope: 'manage_webhook',
        title: 'Manage webhooks',
        description: 'Create and manage webhooks for the user.',
        category: 'Webhooks',
      },
      {
        scope: 'manage_enterprise_properties',
        title: 'Manage enterprise properties',
        description: 'View the enterprise event stream and edit enterprise attributes and reports.',
        category: 'Enterprise',
      },
      {
        scope: 'manage_data_retention',
        title: 'Manage retention policies',
        description: 'View and create Box Governance retention policies.',
        category: 'Governance',
      },
      {
        scope: 'manage_legal_holds',
        title: 'Manage legal holds',
        description: 'View and create Box Governance legal hold policies (granted on request).',
        category: 'Governance',
      },
      {
        scope: 'enterprise_content',
        title: 'Global content manager',
        description: 'Let admins and service accounts reach any content in the enterprise (granted on request).',
        category: 'Governance',
      },
      {
        scope: 'sign_requests.readwrite',
        title: 'Manage signature requests',
        description: 'Get, create, cancel and resend Box Sign requests.',
        category: 'Sign',
      },
      {
        scope: 'ai.readwrite',
        title: 'Box AI',
        description: 'Send requests to the Box AI API.',
        category: 'AI',
      },
      {
        scope: 'manage_triggers',
        title: 'Manage Box Relay',
        description: 'Read Box Relay workflows and start manually started flows.',
        category: 'Workflows',
      },
    ],
  },
  api: {
    baseUrl: 'https://api.box.com',
    rateLimits: { statuses: [429], retryAfter: true, defaultWaitSeconds: 60 },
    errors: { messagePaths: ['message'], reasonPaths: ['code'] },
    pagination: { style: 'offset', offsetParam: 'offset', limitParam: 'limit' },
    bodyEncoding: 'json',
  },
});

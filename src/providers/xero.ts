import { defineProvider } from './provider-schema.js';

// Xero OAuth 2.0. Basic client authentication; access tokens last 30 minutes and each refresh
// issues a new refresh token that replaces the old (offline_access required); the old one may be
// retried for 30 minutes if the answer was lost, and an unused refresh token expires after 60 days.
// PKCE is supported. A token can reach several organisations: GET /connections lists their tenant
// ids, sent as xero-tenant-id. 429 answers carry Retry-After and X-*Limit-Remaining headers.
// Refresh, PKCE and lifetimes: https://developer.xero.com/faq/oauth2
export default defineProvider({
  name: 'XERO',
  key: 'xero',
  displayName: 'Xero',
  categories: ['Finance'],
  authModes: ['OAUTH2'],
  docs: {
    authorization: 'https://developer.xero.com/documentation/guides/oauth2/auth-flow/#1-send-a-user-to-authorize-your-app',
    token: 'https://developer.xero.com/documentation/guides/oauth2/auth-flow/#3-exchange-the-code',
    scopes: 'https://developer.xero.com/documentation/guides/oauth2/scopes/',
    refresh: 'https://developer.xero.com/documentation/guides/oauth2/auth-flow/#refreshing-access-and-refresh-tokens',
    revocation: 'https://developer.xero.com/documentation/guides/oauth2/auth-flow/#revoking-tokens',
    identity: 'https://developer.xero.com/documentation/guides/oauth2/auth-flow/#5-check-the-tenants-youre-authorized-to-access',
    api: 'https://developer.xero.com/documentation/api/accounting/overview',
    rateLimits: 'https://developer.xero.com/documentation/guides/oauth2/limits/',
    errors: 'https://developer.xero.com/documentation/api/accounting/responsecodes',
  },
  oauth: {
    issuer: 'https://identity.xero.com',
    endpoints: {
      authorization: 'https://login.xero.com/identity/connect/authorize',
      token: 'https://identity.xero.com/connect/token',
      revocation: 'https://identity.xero.com/connect/revocation',
    },
    appRegistrationUrl: 'https://developer.xero.com/app/manage',
    scopeSeparator: ' ',
    clientAuthMethod: 'client_secret_basic',
    pkce: true,
    supportsRefresh: true,
    revocation: 'rfc7009',
    identity: { from: 'api', path: '/connections', idPath: '0.tenantId', namePath: '0.tenantName' },
    quirks: { refreshTokenRotates: true },
    scopes: [
      {
        scope: 'offline_access',
        title: 'Stay connected',
        description: 'Receive a refresh token.',
        category: 'Account',
        isRequired: true,
      },
      { scope: 'openid', title: 'Sign in', description: 'Identify the Xero user.', category: 'Account' },
      { scope: 'profile', title: 'Profile', description: 'Read the user’s name.', category: 'Account' },
      {
        scope: 'email',
        title: 'Email',
        description: 'Read the user’s email address.',
        category: 'Account',
      },
      {
        scope: 'accounting.transactions',
        title: 'Transactions',
        description: 'Read and write invoices, bills, payments and bank transactions.',
        category: 'Accounting',
        isDefault: true,
      },
      {
        scope: 'accounting.transactions.read',
        title: 'Read transactions',
        description: 'Read invoices, bills, payments and bank transactions.',
        category: 'Accounting',
      },
      {
        scope: 'accounting.contacts',
        title: 'Contacts',
        description: 'Read and write contacts.',
        category: 'Accounting',
      },
      {
        scope: 'accounting.settings',
        title: 'Settings',
        description: 'Read and write the organisation and its chart of accounts.',
        category: 'Accounting',
      },
      {
        scope: 'accounting.reports.read',
        title: 'Reports',
        description: 'Read financial reports.',
        category: 'Accounting',
      },
    ],
  },
  api: {
    baseUrl: 'https://api.xero.com',
    rateLimits: { statuses: [429], retryAfter: true, headers: { remaining: 'X-MinLimit-Remaining' } },
    errors: { messagePaths: ['Detail', 'Message', 'Title'], reasonPaths: ['Type'] },
  },
});

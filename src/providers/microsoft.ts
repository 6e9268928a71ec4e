import { defineProvider } from './provider-schema.js';

// Microsoft identity platform (Entra ID) v2.0 endpoints for Microsoft Graph, on the multi-tenant
// "common" authority; point the endpoint variables at /{tenant}/ for a single tenant. Refresh
// answers carry a new refresh token that replaces the old one (the old one is not revoked, but is to
// be discarded). The client secret goes in the form body, PKCE is recommended for confidential
// clients too, and response_mode=query returns the code in the query string. Graph throttles with
// 429 and Retry-After. There is no per-token revocation endpoint.
export default defineProvider({
  name: 'MICROSOFT',
  key: 'microsoft',
  displayName: 'Microsoft',
  categories: ['Productivity'],
  authModes: ['OAUTH2'],
  docs: {
    authorization: 'https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow#request-an-authorization-code',
    token: 'https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow#redeem-a-code-for-an-access-token',
    scopes: 'https://learn.microsoft.com/en-us/graph/permissions-reference',
    refresh: 'https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow#refresh-the-access-token',
    identity: 'https://learn.microsoft.com/en-us/graph/api/user-get',
    api: 'https://learn.microsoft.com/en-us/graph/overview',
    rateLimits: 'https://learn.microsoft.com/en-us/graph/throttling',
    errors: 'https://learn.microsoft.com/en-us/graph/errors',
  },
  oauth: {
    issuer: 'https://login.microsoftonline.com/common/v2.0',
    endpoints: {
      authorization: 'https://login.microsoftonline.com/common/oauth2/v2.0/authorize',
      token: 'https://login.microsoftonline.com/common/oauth2/v2.0/token',
    },
    appRegistrationUrl: 'https://entra.microsoft.com/#view/Microsoft_AAD_RegisteredApps/ApplicationsListBlade',
    scopeSeparator: ' ',
    clientAuthMethod: 'client_secret_post',
    pkce: true,
    supportsRefresh: true,
    authorizationParams: { response_mode: 'query' },
    identity: { from: 'api', path: '/v1.0/me', idPath: 'id', namePath: 'userPrincipalName' },
    quirks: { refreshTokenRotates: true },
    scopes: [
      {
        scope: 'offline_access',
        title: 'Stay connected',
        description: 'Receive a refresh token so access continues without the user present.',
        category: 'Account',
        isRequired: true,
      },
      {
        scope: 'User.Read',
        title: 'Read profile',
        description: 'Sign in and read the user’s profile.',
        category: 'Account',
        isDefault: true,
      },
      {
        scope: 'openid',
        title: 'Sign in',
        description: 'Sign the user in with OpenID Connect.',
        category: 'Account',
      },
      {
        scope: 'email',
        title: 'Email address',
        description: 'Read the user’s email address.',
        category: 'Account',
      },
      {
        scope: 'Mail.Read',
        title: 'Read mail',
        description: 'Read the user’s mailbox.',
        category: 'Outlook mail',
      },
      {
        scope: 'Mail.ReadWrite',
        title: 'Manage mail',
        description: 'Read, create, update and delete the user’s mail.',
        category: 'Outlook mail',
      },
      {
        scope: 'Mail.Send',
        title: 'Send mail',
        description: 'Send mail as the user.',
        category: 'Outlook mail',
      },
      {
        scope: 'Calendars.Read',
        title: 'Read calendars',
        description: 'Read the user’s calendars.',
        category: 'Calendar',
      },
      {
        scope: 'Calendars.ReadWrite',
        title: 'Manage calendars',
        description: 'Create, read, update and delete events in the user’s calendars.',
        category: 'Calendar',
      },
      {
        scope: 'Files.Read',
        title: 'Read files',
        description: 'Read the user’s OneDrive files.',
        category: 'OneDrive',
      },
      {
        scope: 'Files.ReadWrite',
        title: 'Manage files',
        description: 'Read, create, update and delete the user’s files.',
        category: 'OneDrive',
      },
      {
        scope: 'Contacts.Read',
        title: 'Read contacts',
        description: 'Read the user’s contacts.',
        category: 'Contacts',
      },
      {
        scope: 'Tasks.ReadWrite',
        title: 'Manage tasks',
        description: 'Create, read, update and delete the user’s To Do tasks.',
        category: 'Tasks',
      },
      {
        scope: 'Chat.ReadWrite',
        title: 'Teams chats',
        description: 'Read and send the user’s Teams chat messages.',
        category: 'Teams',
      },
      {
        scope: 'Sites.Read.All',
        title: 'Read SharePoint',
        description: 'Read items in all SharePoint site collections.',
        category: 'SharePoint',
      },
    ],
  },
  api: {
    baseUrl: 'https://graph.microsoft.com',
    rateLimits: { statuses: [429], retryAfter: true },
    errors: { messagePaths: ['error.message'], reasonPaths: ['error.code'] },
  },
});

import { defineProvider } from './provider-schema.js';

// Notion public connections. Capabilities are chosen in the integration settings, not by scopes,
// and the user picks the pages to share while authorizing. Basic client authentication; the token,
// refresh and revoke requests take JSON bodies (each reference page documents `Body
// application/json`); refresh answers carry a new access and refresh token. The API needs a
// Notion-Version header (pinned to 2022-06-28: later versions change response shapes).
// Notion's reference lists Notion-Version as a required header of the token and revoke endpoints
// too (create-a-token, refresh-a-token and revoke-token pages; the OpenAPI description puts the
// notionVersion parameter on /v1/oauth/revoke), and Notion's JS SDK sends it on every request, its
// oauth.token and oauth.revoke included (makenotion/notion-sdk-js, Client.request), so the OAuth
// requests carry it too (`endpointHeaders`). Whether Notion refuses a request without it is not
// documented; sending what the reference marks required is safe either way.
export default defineProvider({
  name: 'NOTION',
  key: 'notion',
  displayName: 'Notion',
  categories: ['Productivity'],
  authModes: ['OAUTH2'],
  docs: {
    authorization: 'https://developers.notion.com/docs/authorization#step-1-navigate-the-user-to-the-integrations-authorization-url',
    token: 'https://developers.notion.com/reference/create-a-token',
    scopes: 'https://developers.notion.com/reference/capabilities',
    refresh: 'https://developers.notion.com/reference/refresh-a-token',
    revocation: 'https://developers.notion.com/reference/revoke-token',
    identity: 'https://developers.notion.com/reference/create-a-token',
    api: 'https://developers.notion.com/reference/intro',
    rateLimits: 'https://developers.notion.com/reference/request-limits',
    errors: 'https://developers.notion.com/reference/status-codes',
  },
  oauth: {
    issuer: 'https://api.notion.com',
    endpoints: {
      authorization: 'https://api.notion.com/v1/oauth/authorize',
      token: 'https://api.notion.com/v1/oauth/token',
      revocation: 'https://api.notion.com/v1/oauth/revoke',
    },
    appRegistrationUrl: 'https://www.notion.so/profile/integrations',
    scopeSeparator: ' ',
    clientAuthMethod: 'client_secret_basic',
    pkce: false,
    supportsRefresh: true,
    revocation: 'rfc7009',
    authorizationParams: { owner: 'user' },
    endpointHeaders: { 'Notion-Version': '2022-06-28' },
    identity: { from: 'token-response', idField: 'bot_id', nameField: 'workspace_name' },
    quirks: {
      scopeAbsentMeansRequested: true,
      refreshTokenRotates: true,
      jsonTokenRequests: true,
      keepFields: ['workspace_id', 'workspace_name', 'bot_id'],
    },
    scopes: [],
  },
  api: {
    baseUrl: 'https://api.notion.com',
    defaultHeaders: { 'Notion-Version': '2022-06-28' },
    rateLimits: { statuses: [429], retryAfter: true },
    errors: { messagePaths: ['message'], reasonPaths: ['code'] },
  },
});

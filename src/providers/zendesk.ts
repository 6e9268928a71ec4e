import { defineProvider } from './provider-schema.js';

// Zendesk OAuth clients live in one account, on its subdomain: set
// LATCHKEY_ZENDESK_AUTHORIZATION_URL, _TOKEN_URL, _REVOCATION_URL and _API_URL to
// https://<subdomain>.zendesk.com/… (the built-in endpoints name the placeholder account
// "example"). Since 2025 the token endpoint also takes grant_type=refresh_token: each refresh
// answers a new access and refresh token and deletes the previous pair (Zendesk's refresh token
// guide and its April 2025 announcement); expiry is opt-in through expires_in and
// refresh_token_expires_in. Revocation deletes the current token.
// Per-account hosts: https://developer.zendesk.com/api-reference/introduction/security-and-auth/
export default defineProvider({
  name: 'ZENDESK',
  key: 'zendesk',
  displayName: 'Zendesk',
  categories: ['Support'],
  authModes: ['OAUTH2'],
  docs: {
    authorization: 'https://developer.zendesk.com/documentation/ticketing/working-with-oauth/implementing-an-oauth-authorization-flow-in-your-application/',
    token: 'https://developer.zendesk.com/documentation/ticketing/working-with-oauth/implementing-an-oauth-authorization-flow-in-your-application/',
    scopes: 'https://developer.zendesk.com/api-reference/ticketing/oauth/oauth_tokens/#scopes',
    refresh: 'https://developer.zendesk.com/documentation/api-basics/authentication/refresh-token',
    revocation: 'https://developer.zendesk.com/api-reference/ticketing/oauth/oauth_tokens/#revoke-token',
    identity: 'https://developer.zendesk.com/api-reference/ticketing/users/users/#show-self',
    api: 'https://developer.zendesk.com/api-reference/',
    rateLimits: 'https://developer.zendesk.com/api-reference/introduction/rate-limits/',
    errors: 'https://developer.zendesk.com/api-reference/ticketing/introduction/#response-format',
  },
  oauth: {
    issuer: 'https://example.zendesk.com',
    endpoints: {
      authorization: 'https://example.zendesk.com/oauth/authorizations/new',
      token: 'https://example.zendesk.com/oauth/tokens',
      revocation: 'https://example.zendesk.com/api/v2/oauth/tokens/current.json',
    },
    appRegistrationUrl: 'https://support.zendesk.com/hc/en-us/articles/4408845965210',
    scopeSeparator: ' ',
    clientAuthMethod: 'client_secret_post',
    pkce: true,
    supportsRefresh: true,
    revocation: 'bearer-token-delete',
    quirks: { refreshTokenRotates: true },
    identity: { from: 'api', path: '/users/me.json', idPath: 'user.id', namePath: 'user.name' },
    scopes: [
      {
        scope: 'read',
        title: 'Read',
        description: 'Read access to all resources.',
        category: 'Access',
        isDefault: true,
      },
      {
        scope: 'write',
        title: 'Write',
        description: 'Write access to all resources.',
        category: 'Access',
      },
      { scope: 'tickets:read', title: 'Read tickets', description: 'Read tickets.', category: 'Tickets' },
      {
        scope: 'tickets:write',
        title: 'Write tickets',
        description: 'Create and update tickets.',
        category: 'Tickets',
      },
      { scope: 'users:read', title: 'Read users', description: 'Read users.', category: 'Users' },
      {
        scope: 'hc:read',
        title: 'Read Help Center',
        description: 'Read Help Center articles.',
        category: 'Help Center',
      },
    ],
  },
  api: {
    baseUrl: 'https://example.zendesk.com/api/v2',
    rateLimits: {
      statuses: [429],
      retryAfter: true,
      // Every answer carries X-Rate-Limit/-Remaining for the current minute; a 429 carries Retry-After
      // (https://developer.zendesk.com/documentation/ticketing/using-the-zendesk-api/best-practices-for-avoiding-rate-limiting/).
      headers: { limit: 'X-Rate-Limit', remaining: 'X-Rate-Limit-Remaining' },
    },
    errors: { messagePaths: ['description', 'error.message', 'error'], reasonPaths: ['error.title', 'error'] },
  },
});

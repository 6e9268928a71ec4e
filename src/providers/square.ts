import { defineProvider } from './provider-schema.js';

// Square OAuth (code flow). ObtainToken takes a JSON body. With the code flow the client sends its
// secret and no code_verifier (PKCE is Square's flow for public clients, which send a verifier
// instead of the secret), so PKCE is off. Access tokens last 30 days (the answer gives expires_at
// rather than expires_in); a code-flow refresh answers the same refresh token. The token answer
// names the seller (merchant_id). Sandbox uses connect.squareupsandbox.com: set the endpoint
// variables. Revocation is POST /oauth2/revoke with `Authorization: Client <secret>` and
// {client_id, access_token}; it ends every token of the seller's authorization for this app.
// Errors come as {"errors": [{category, code, detail, field}]} with a 4xx/5xx status; a rate limit
// is 429 with code RATE_LIMITED and category RATE_LIMIT_ERROR, to be retried with backoff
// (Square's Handling Errors guide and ErrorCategory reference). The nine scopes below are
// permissions of Square's OpenAPI description (square/connect-api-specification api.json,
// components.securitySchemes.oauth2), with the meanings it gives them.
export default defineProvider({
  name: 'SQUARE',
  key: 'square',
  displayName: 'Square',
  categories: ['E-commerce'],
  authModes: ['OAUTH2'],
  docs: {
    authorization: 'https://developer.squareup.com/docs/oauth-api/create-urls-for-square-authorization',
    token: 'https://developer.squareup.com/reference/square/o-auth/obtain-token',
    scopes: 'https://developer.squareup.com/docs/oauth-api/square-permissions',
    refresh: 'https://developer.squareup.com/docs/oauth-api/refresh-revoke-limit-scope',
    revocation: 'https://developer.squareup.com/reference/square/o-auth/revoke-token',
    identity: 'https://developer.squareup.com/reference/square/o-auth/obtain-token',
    api: 'https://developer.squareup.com/reference/square',
    rateLimits: 'https://developer.squareup.com/docs/build-basics/handling-errors#rate-limiting',
    errors: 'https://developer.squareup.com/docs/build-basics/handling-errors',
  },
  oauth: {
    issuer: 'https://connect.squareup.com',
    endpoints: {
      authorization: 'https://connect.squareup.com/oauth2/authorize',
      token: 'https://connect.squareup.com/oauth2/token',
      revocation: 'https://connect.squareup.com/oauth2/revoke',
    },
    appRegistrationUrl: 'https://developer.squareup.com/apps',
    scopeSeparator: ' ',
    clientAuthMethod: 'client_secret_post',
    pkce: false,
    supportsRefresh: true,
    revocation: 'client-secret-header-json',
    authorizationParams: { session: 'false' },
    identity: { from: 'token-response', idField: 'merchant_id' },
    quirks: { scopeAbsentMeansRequested: true, assumedLifetimeSeconds: 2592000, jsonTokenRequests: true, keepFields: ['merchant_id'] },
    scopes: [
      {
        scope: 'MERCHANT_PROFILE_READ',
        title: 'Business profile',
        description: 'Read the seller’s business and location information.',
        category: 'Business',
        isDefault: true,
      },
      {
        scope: 'PAYMENTS_READ',
        title: 'Read payments',
        description: 'Read payments and refunds.',
        category: 'Payments',
      },
      {
        scope: 'PAYMENTS_WRITE',
        title: 'Take payments',
        description: 'Process payments and refunds.',
        category: 'Payments',
      },
      {
        scope: 'CUSTOMERS_READ',
        title: 'Read customers',
        description: 'Read the customer directory.',
        category: 'Customers',
      },
      {
        scope: 'CUSTOMERS_WRITE',
        title: 'Write customers',
        description: 'Change the customer directory.',
        category: 'Customers',
      },
      { scope: 'ORDERS_READ', title: 'Read orders', description: 'Read orders.', category: 'Orders' },
      {
        scope: 'ORDERS_WRITE',
        title: 'Write orders',
        description: 'Create and update orders.',
        category: 'Orders',
      },
      {
        scope: 'ITEMS_READ',
        title: 'Read catalog',
        description: 'Read catalog items.',
        category: 'Catalog',
      },
      {
        scope: 'INVENTORY_READ',
        title: 'Read inventory',
        description: 'Read inventory counts.',
        category: 'Catalog',
      },
    ],
  },
  api: {
    baseUrl: 'https://connect.squareup.com',
    rateLimits: { statuses: [429], retryAfter: false },
    errors: { messagePaths: ['errors.0.detail'], reasonPaths: ['errors.0.code'] },
  },
});

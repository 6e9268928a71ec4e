import { defineProvider } from './provider-schema.js';

// Shopify authorization code grant, per shop: set the endpoint variables to
// https://<shop>.myshopify.com/admin/oauth/… and /admin/api/<version> (the built-in endpoints name
// the placeholder shop "example"). Scopes are comma-separated. The code exchange asks for an
// expiring offline token (expiring=1): it lasts 60 minutes and comes with a refresh token that
// each refresh replaces (Shopify's December 2025 changelog and offline access token guide);
// public apps must use expiring tokens, and non-expiring ones are refused from January 1, 2027.
// Refresh tokens last 90 days, and acquiring a new expiring token revokes the shop's earlier ones
// (offline access token guide). The token answer has no token_type: Shopify's own Node library
// types it as access_token and scope plus expires_in and, for online tokens, the user
// (Shopify/shopify-app-js, packages/apps/shopify-api/lib/auth/oauth/types.ts).
// A 429 carries Retry-After, and without one Shopify's own Admin API client waits one second
// (Shopify/shopify-app-js: packages/api-clients/admin-api-client/README.md, "defaultRetryTime: How
// long to wait for a retry when missing the Retry-After header", 1000 ms in src/constants.ts; the
// REST and GraphQL clients read Retry-After on 429 and 503). The REST call-limit header
// (X-Shopify-Shop-Api-Call-Limit, "used/max" per third-party clients) is named by no Shopify source
// read here (searched 2026-12-02: shopify-app-js, the stored copies of shopify.dev's REST
// rate-limits page, readable only to its 2/4/20 requests a second by plan); no quota header is
// declared, since a used/max pair fits no header field and nothing waits on it.
// The Admin API takes the token in X-Shopify-Access-Token, not Authorization.
// Per-account hosts: https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/authorization-code-grant
export default defineProvider({
  name: 'SHOPIFY',
  key: 'shopify',
  displayName: 'Shopify',
  categories: ['E-commerce'],
  authModes: ['OAUTH2'],
  docs: {
    authorization: 'https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/authorization-code-grant#redirect-to-the-grant-screen-using-a-redirect',
    token: 'https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/authorization-code-grant#step-4-get-an-access-token',
    scopes: 'https://shopify.dev/docs/api/usage/access-scopes',
    refresh: 'https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/offline-access-tokens',
    identity: 'https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/authorization-code-grant#step-4-get-an-access-token',
    api: 'https://shopify.dev/docs/api/admin-rest',
    rateLimits: 'https://shopify.dev/docs/api/usage/limits',
    errors: 'https://shopify.dev/docs/api/usage/response-codes',
  },
  oauth: {
    issuer: 'https://example.myshopify.com',
    endpoints: {
      authorization: 'https://example.myshopify.com/admin/oauth/authorize',
      token: 'https://example.myshopify.com/admin/oauth/access_token',
    },
    appRegistrationUrl: 'https://partners.shopify.com/',
    scopeSeparator: ',',
    clientAuthMethod: 'client_secret_post',
    pkce: false,
    supportsRefresh: true,
    tokenParams: { expiring: '1' },
    identity: { from: 'none' },
    quirks: { grantedScopeSeparator: ',', tokenTypeMissing: true, refreshTokenRotates: true },
    scopes: [
      {
        scope: 'read_products',
        title: 'Read products',
        description: 'Read products, variants and collections.',
        category: 'Products',
        isDefault: true,
      },
      {
        scope: 'write_products',
        title: 'Write products',
        description: 'Create and update products, variants and collections.',
        category: 'Products',
      },
      {
        scope: 'read_orders',
        title: 'Read orders',
        description: 'Read orders from the last 60 days.',
        category: 'Orders',
        isDefault: true,
      },
      {
        scope: 'write_orders',
        title: 'Write orders',
        description: 'Change orders and fulfillments.',
        category: 'Orders',
      },
      {
        scope: 'read_customers',
        title: 'Read customers',
        description: 'Read customers.',
        category: 'Customers',
      },
      {
        scope: 'write_customers',
        title: 'Write customers',
        description: 'Create and update customers.',
        category: 'Customers',
      },
      {
        scope: 'read_inventory',
        title: 'Read inventory',
        description: 'Read inventory levels and locations.',
        category: 'Inventory',
      },
      {
        scope: 'write_inventory',
        title: 'Write inventory',
        description: 'Adjust inventory levels.',
        category: 'Inventory',
      },
      {
        scope: 'read_content',
        title: 'Read content',
        description: 'Read pages, blogs and articles.',
        category: 'Content',
      },
    ],
  },
  api: {
    baseUrl: 'https://example.myshopify.com/admin/api/2025-07',
    rateLimits: { statuses: [429], retryAfter: true, defaultWaitSeconds: 1 },
    errors: { messagePaths: ['errors'], reasonPaths: ['errors'] },
  },
});

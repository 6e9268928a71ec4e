import { defineProvider } from './provider-schema.js';

// Stripe Connect OAuth (Standard accounts only, per the OAuth reference). Stripe's "client secret"
// is the platform's secret API key (sk_live_… / sk_test_…); the client id is the platform's ca_… id.
// unverified: the section anchors of the OAuth reference and the rate-limit answer's headers (only
// the reference's opening was readable here).
export default defineProvider({
  name: 'STRIPE',
  key: 'stripe',
  displayName: 'Stripe',
  categories: ['Payments'],
  authModes: ['OAUTH2'],
  docs: {
    authorization: 'https://docs.stripe.com/connect/oauth-reference#get-authorize',
    token: 'https://docs.stripe.com/connect/oauth-reference#post-token',
    scopes: 'https://docs.stripe.com/connect/oauth-reference#get-authorize-request',
    refresh: 'https://docs.stripe.com/connect/oauth-reference#post-token-request',
    revocation: 'https://docs.stripe.com/connect/oauth-reference#post-deauthorize',
    identity: 'https://docs.stripe.com/connect/oauth-reference#post-token-response',
    api: 'https://docs.stripe.com/api',
    rateLimits: 'https://docs.stripe.com/rate-limits',
    errors: 'https://docs.stripe.com/api/errors',
    pagination: 'https://docs.stripe.com/api/pagination',
  },
  oauth: {
    issuer: 'https://connect.stripe.com',
    endpoints: {
      authorization: 'https://connect.stripe.com/oauth/authorize',
      token: 'https://connect.stripe.com/oauth/token',
      revocation: 'https://connect.stripe.com/oauth/deauthorize',
    },
    appRegistrationUrl: 'https://dashboard.stripe.com/settings/connect/onboarding-options/oauth',
    scopeSeparator: ' ',
    clientAuthMethod: 'client_secret_post',
    pkce: false,
    // Access tokens do not expire; the refresh token mints a new one (e.g. after a key roll).
    supportsRefresh: true,
    revocation: 'stripe-deauthorize',
    identity: { from: 'token-response', idField: 'stripe_user_id' },
    quirks: {
      keepFields: ['stripe_user_id', 'stripe_publishable_key', 'livemode'],
    },
    // Stripe accepts exactly one of these; read_only is its default.
    scopes: [
      {
        scope: 'read_only',
        title: 'Read only',
        description: 'Read the connected account’s data, such as charges, customers and payouts.',
        category: 'Account',
        isDefault: true,
      },
      {
        scope: 'read_write',
        title: 'Read and write',
        description: 'Read the connected account’s data and create charges, customers and other objects.',
        category: 'Account',
      },
    ],
  },
  api: {
    baseUrl: 'https://api.stripe.com',
    rateLimits: { statuses: [429], retryAfter: false, defaultWaitSeconds: 1 },
    errors: { messagePaths: ['error.message'], reasonPaths: ['error.code', 'error.type'] },
    pagination: { style: 'cursor', cursorParam: 'starting_after', nextCursorPath: 'data.-1.id', limitParam: 'limit' },
    // Stripe's API takes application/x-www-form-urlencoded bodies.
    bodyEncoding: 'form',
  },
});

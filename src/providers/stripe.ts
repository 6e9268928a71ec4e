import { defineProvider } from './provider-schema.js';

// Stripe Connect OAuth (Standard accounts only, per the OAuth reference). Stripe's "client secret"
// is the platform's secret API key (sk_live_… / sk_test_…); the client id is the platform's ca_… id.
// The OAuth reference's sections are #get-authorize (the authorize request: client_id, scope,
// state), #post-token (the code exchange and the refresh, "Used both for turning an
// authorization_code into an account connection, and for getting a new access token using a
// refresh_token"; its answer carries stripe_user_id) and #post-deauthorize; Stripe's own Node
// client links those three anchors (stripe/stripe-node, types/OAuth.d.ts up to v21). The token
// call takes the secret key "as a client_secret POST parameter" (client_secret_post);
// deauthorize takes it "as an Authorization header" with client_id and stripe_user_id in the form.
// Rate limits: 429, counted per second per account (100 live, 25 sandbox; 25 per endpoint), hence a
// one-second default wait (docs.stripe.com/rate-limits).
// A wait header on a 429 is undocumented by Stripe (searched 2026-12-02: the rate-limits page's
// stored copies, docs and pages corpora; Stripe's Node client, src/RequestSender.ts, reads only
// Stripe-Should-Retry and otherwise backs off exponentially); the gateway handles both: it honours
// a Retry-After when one comes (retryAfter: true) and otherwise waits the one second.
export default defineProvider({
  name: 'STRIPE',
  key: 'stripe',
  displayName: 'Stripe',
  categories: ['Payments'],
  authModes: ['OAUTH2'],
  docs: {
    authorization: 'https://docs.stripe.com/connect/oauth-reference#get-authorize',
    token: 'https://docs.stripe.com/connect/oauth-reference#post-token',
    scopes: 'https://docs.stripe.com/connect/oauth-reference#get-authorize',
    refresh: 'https://docs.stripe.com/connect/oauth-reference#post-token',
    revocation: 'https://docs.stripe.com/connect/oauth-reference#post-deauthorize',
    identity: 'https://docs.stripe.com/connect/oauth-reference#post-token',
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
    // Stripe accepts exactly one of these. The OAuth reference says read_only "can only be specified
    // for extensions", so the default is read_write: it is the one a Connect platform that is not a
    // Stripe extension can be granted (an extension asks for read_only explicitly).
    scopes: [
      {
        scope: 'read_only',
        title: 'Read only',
        description: 'Read the connected account’s data, such as charges, customers and payouts (Stripe extensions only).',
        category: 'Account',
      },
      {
        scope: 'read_write',
        title: 'Read and write',
        description: 'Read the connected account’s data and create charges, customers and other objects.',
        category: 'Account',
        isDefault: true,
      },
    ],
  },
  api: {
    baseUrl: 'https://api.stripe.com',
    rateLimits: { statuses: [429], retryAfter: true, defaultWaitSeconds: 1 },
    errors: { messagePaths: ['error.message'], reasonPaths: ['error.code', 'error.type'] },
    pagination: { style: 'cursor', cursorParam: 'starting_after', nextCursorPath: 'data.-1.id', limitParam: 'limit' },
    // Stripe's API takes application/x-www-form-urlencoded bodies.
    bodyEncoding: 'form',
  },
});

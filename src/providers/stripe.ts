import { defineProvider } from './types.js';

// Stripe Connect OAuth (Standard accounts). Stripe's "client secret" is the platform's secret API
// key (sk_live_… / sk_test_…); the client id is the platform's ca_… id.
export default defineProvider({
  service: 'STRIPE',
  friendlyServiceName: 'Stripe',
  graphQLField: 'stripe',
  issuer: 'https://connect.stripe.com',
  endpoints: {
    authorization: 'https://connect.stripe.com/oauth/authorize',
    token: 'https://connect.stripe.com/oauth/token',
    revocation: 'https://connect.stripe.com/oauth/deauthorize',
    api: 'https://api.stripe.com',
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
});

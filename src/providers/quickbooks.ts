import { defineProvider } from './provider-schema.js';

// Intuit OAuth 2.0 for QuickBooks Online. Basic client authentication; access tokens last one hour,
// refresh tokens 100 days from their last use (capped at five years since Intuit's 2025 policy) and
// a refresh may return a new one, which replaces the old.
// Lifetimes: https://blogs.intuit.com/2024/06/03/oauth-token-management-done-the-right-way/
// Intuit's own Node client (intuit/oauth-jsclient, src/OAuthClient.js) sends the code exchange and
// refreshes as forms with Basic client authentication, and revokes with POST
// developer.api.intuit.com/v2/oauth2/tokens/revoke, Basic authentication and the JSON body
// {"token": …} (the access token, or the refresh token once it has expired).
// The gateway revokes as Intuit's own client does: JSON body, Basic authentication
// (`jsonRevocationRequests`); the token requests stay forms.
// Whether the revoke endpoint would also take a form is not needed: the gateway sends the JSON body
// Intuit's client sends (its README's "Revoke access_token" section uses the same helper).
// The company (realmId) arrives on the redirect, not in the token answer; API paths are
// /v3/company/{realmId}/….
// Per-account hosts: https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/oauth-2.0#step-4-handle-the-authorization-response
export default defineProvider({
  name: 'QUICKBOOKS',
  key: 'quickbooks',
  displayName: 'QuickBooks',
  categories: ['Finance'],
  authModes: ['OAUTH2'],
  docs: {
    authorization: 'https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/oauth-2.0#step-2-create-an-authorization-request',
    token: 'https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/oauth-2.0#step-5-exchange-the-authorization-code-for-access-tokens',
    scopes: 'https://developer.intuit.com/app/developer/qbo/docs/learn/scopes',
    refresh: 'https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/oauth-2.0#refresh-the-token',
    revocation: 'https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/oauth-2.0#revoke-token-disconnect',
    identity: 'https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/oauth-2.0#step-5-exchange-the-authorization-code-for-access-tokens',
    api: 'https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/account',
    rateLimits: 'https://developer.intuit.com/app/developer/qbo/docs/learn/rest-api-features#limits-and-throttles',
    errors: 'https://developer.intuit.com/app/developer/qbo/docs/develop/troubleshooting/error-codes',
  },
  oauth: {
    issuer: 'https://oauth.platform.intuit.com/op/v1',
    endpoints: {
      authorization: 'https://appcenter.intuit.com/connect/oauth2',
      token: 'https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer',
      revocation: 'https://developer.api.intuit.com/v2/oauth2/tokens/revoke',
    },
    appRegistrationUrl: 'https://developer.intuit.com/app/developer/dashboard',
    scopeSeparator: ' ',
    clientAuthMethod: 'client_secret_basic',
    pkce: false,
    supportsRefresh: true,
    revocation: 'rfc7009',
    identity: { from: 'none' },
    quirks: { refreshTokenRotates: true, scopeAbsentMeansRequested: true, jsonRevocationRequests: true },
    scopes: [
      {
        scope: 'com.intuit.quickbooks.accounting',
        title: 'Accounting',
        description: 'Read and write the company’s accounting data.',
        category: 'QuickBooks',
        isDefault: true,
      },
      {
        scope: 'com.intuit.quickbooks.payment',
        title: 'Payments',
        description: 'Process payments with QuickBooks Payments.',
        category: 'QuickBooks',
      },
      {
        scope: 'openid',
        title: 'Sign in',
        description: 'Identify the Intuit user with OpenID Connect.',
        category: 'Account',
      },
      { scope: 'profile', title: 'Profile', description: 'Read the user’s name.', category: 'Account' },
      {
        scope: 'email',
        title: 'Email',
        description: 'Read the user’s email address.',
        category: 'Account',
      },
    ],
  },
  api: {
    baseUrl: 'https://quickbooks.api.intuit.com',
    rateLimits: { statuses: [429], retryAfter: false },
    errors: {
      messagePaths: ['Fault.Error.0.Message', 'fault.error.0.message'],
      reasonPaths: ['Fault.Error.0.code'],
    },
  },
});

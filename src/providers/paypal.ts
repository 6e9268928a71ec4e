import { defineProvider } from './provider-schema.js';

// Log in with PayPal (OpenID Connect). Basic client authentication; refresh answers leave out
// refresh_token and the original keeps working. Sandbox apps use www.sandbox.paypal.com and
// api-m.sandbox.paypal.com: set the endpoint variables. The integration guide exchanges the code
// at /v1/oauth2/token with the client id and secret as Basic credentials.
// Rate limits: PayPal publishes no limits and names no quota headers; a limit answers 429 with
// RATE_LIMIT_REACHED, and the rate-limiting page (updated June 2026) reads Retry-After when the
// answer carries one, so the gateway does too and otherwise waits the default.
export default defineProvider({
  name: 'PAYPAL',
  key: 'paypal',
  displayName: 'PayPal',
  categories: ['Finance'],
  authModes: ['OAUTH2'],
  docs: {
    authorization: 'https://developer.paypal.com/docs/log-in-with-paypal/integrate/#link-addloginwithpaypalbutton',
    token: 'https://developer.paypal.com/docs/log-in-with-paypal/integrate/#link-getaccesstoken',
    scopes: 'https://developer.paypal.com/docs/log-in-with-paypal/integrate/reference/#scope-attributes',
    refresh: 'https://developer.paypal.com/docs/log-in-with-paypal/integrate/#link-getaccesstoken',
    identity: 'https://developer.paypal.com/docs/api/identity/v1/#userinfo_get',
    api: 'https://developer.paypal.com/api/rest/',
    rateLimits: 'https://developer.paypal.com/api/rate-limiting/',
    errors: 'https://developer.paypal.com/api/rest/responses/',
  },
  oauth: {
    issuer: 'https://www.paypal.com',
    endpoints: {
      authorization: 'https://www.paypal.com/signin/authorize',
      token: 'https://api-m.paypal.com/v1/oauth2/token',
    },
    appRegistrationUrl: 'https://developer.paypal.com/dashboard/applications',
    scopeSeparator: ' ',
    clientAuthMethod: 'client_secret_basic',
    pkce: false,
    supportsRefresh: true,
    authorizationParams: { flowEntry: 'static' },
    identity: {
      from: 'api',
      path: '/v1/identity/openidconnect/userinfo?schema=openid',
      idPath: 'user_id',
      namePath: 'name',
    },
    quirks: { refreshTokenMayBeOmitted: true },
    scopes: [
      {
        scope: 'openid',
        title: 'Sign in',
        description: 'Identify the PayPal account.',
        category: 'Account',
        isRequired: true,
      },
      {
        scope: 'profile',
        title: 'Profile',
        description: 'Read the account holder’s name.',
        category: 'Account',
        isDefault: true,
      },
      {
        scope: 'email',
        title: 'Email',
        description: 'Read the account’s email address.',
        category: 'Account',
        isDefault: true,
      },
      {
        scope: 'address',
        title: 'Address',
        description: 'Read the account’s address.',
        category: 'Account',
      },
      {
        scope: 'https://uri.paypal.com/services/paypalattributes',
        title: 'Account attributes',
        description: 'Read account verification status and payer id.',
        category: 'Account',
      },
    ],
  },
  api: {
    baseUrl: 'https://api-m.paypal.com',
    rateLimits: { statuses: [429], retryAfter: true },
    errors: { messagePaths: ['message', 'error_description'], reasonPaths: ['name', 'error'] },
  },
});

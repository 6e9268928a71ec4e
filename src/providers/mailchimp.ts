import { defineProvider } from './provider-schema.js';

// Mailchimp Marketing API OAuth. Tokens never expire and there is no refresh token or scopes. Each
// account lives in a data center: GET https://login.mailchimp.com/oauth2/metadata names it (dc,
// api_endpoint), and API calls go to https://<dc>.api.mailchimp.com/3.0. The built-in API URL is
// data center us1: set LATCHKEY_MAILCHIMP_API_URL to the account’s.
// Per-account hosts: https://mailchimp.com/developer/marketing/docs/fundamentals/#api-structure
// Throttling is by concurrency (10 simultaneous connections) and answers 429 without rate-limit
// headers (fundamentals, API limits), hence no headers here.
// Client authentication is client_secret_post because that is what the OAuth guide's server
// examples do (client_id and client_secret posted in the form with grant_type and code); whether
// Basic is accepted as well is documented nowhere found (docs corpus, golang.org/x/oauth2's
// mailchimp endpoint, which leaves the style to auto-detection) and is not relied on.
export default defineProvider({
  name: 'MAILCHIMP',
  key: 'mailchimp',
  displayName: 'Mailchimp',
  categories: ['Marketing'],
  authModes: ['OAUTH2'],
  docs: {
    authorization: 'https://mailchimp.com/developer/marketing/guides/access-user-data-oauth-2/#implement-the-oauth-2-workflow-on-your-server',
    token: 'https://mailchimp.com/developer/marketing/guides/access-user-data-oauth-2/#implement-the-oauth-2-workflow-on-your-server',
    scopes: 'https://mailchimp.com/developer/marketing/guides/access-user-data-oauth-2/',
    identity: 'https://mailchimp.com/developer/marketing/guides/access-user-data-oauth-2/#implement-the-oauth-2-workflow-on-your-server',
    api: 'https://mailchimp.com/developer/marketing/api/',
    rateLimits: 'https://mailchimp.com/developer/marketing/docs/fundamentals/#api-limits',
    errors: 'https://mailchimp.com/developer/marketing/docs/errors/',
  },
  oauth: {
    issuer: 'https://login.mailchimp.com',
    endpoints: {
      authorization: 'https://login.mailchimp.com/oauth2/authorize',
      token: 'https://login.mailchimp.com/oauth2/token',
    },
    appRegistrationUrl: 'https://admin.mailchimp.com/account/oauth2/',
    scopeSeparator: ' ',
    clientAuthMethod: 'client_secret_post',
    pkce: false,
    supportsRefresh: false,
    identity: { from: 'none' },
    quirks: { scopeAbsentMeansRequested: true },
    scopes: [],
  },
  api: {
    baseUrl: 'https://us1.api.mailchimp.com/3.0',
    rateLimits: { statuses: [429], retryAfter: false },
    errors: { messagePaths: ['detail', 'title'], reasonPaths: ['title'] },
  },
});

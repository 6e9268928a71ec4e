import { defineProvider } from './provider-schema.js';

// Heroku OAuth. Access tokens last eight hours; the refresh token does not expire or change. The
// Platform API wants Accept: application/vnd.heroku+json; version=3. The OAuth article names the
// token and authorize endpoints (id.heroku.com/oauth/token, /oauth/authorize) and exchanges and
// refreshes with client_secret in the form.
// unverified: the eight-hour access token lifetime (the Platform API schema's example is 30 days),
// and revocation (Heroku revokes by deleting the authorization, DELETE /oauth/authorizations/{id},
// which the gateway does not know the id of, so none is declared).
// Searched 2026-12-02: docs and pages corpora (the OAuth article's token-exchange section is not
// in the stored copies), heroku/omniauth-heroku (its spec stubs expires_in 3600), heroku-client's
// oauthToken docs (example 2592000). A copy of a Heroku-style token answer in a third-party note
// (user_id, session_nonce, "expires_in":28799) agrees with eight hours; the file does not read a
// lifetime anyway, it follows expires_in.
export default defineProvider({
  name: 'HEROKU',
  key: 'heroku',
  displayName: 'Heroku',
  categories: ['Developer tools'],
  authModes: ['OAUTH2'],
  docs: {
    authorization: 'https://devcenter.heroku.com/articles/oauth#web-application-authorization',
    token: 'https://devcenter.heroku.com/articles/oauth#token-exchange',
    scopes: 'https://devcenter.heroku.com/articles/oauth#scopes',
    refresh: 'https://devcenter.heroku.com/articles/oauth#token-refresh',
    identity: 'https://devcenter.heroku.com/articles/platform-api-reference#account-info',
    api: 'https://devcenter.heroku.com/articles/platform-api-reference',
    rateLimits: 'https://devcenter.heroku.com/articles/platform-api-reference#rate-limits',
    errors: 'https://devcenter.heroku.com/articles/platform-api-reference#errors',
  },
  oauth: {
    issuer: 'https://id.heroku.com',
    endpoints: {
      authorization: 'https://id.heroku.com/oauth/authorize',
      token: 'https://id.heroku.com/oauth/token',
    },
    appRegistrationUrl: 'https://dashboard.heroku.com/account/applications',
    scopeSeparator: ' ',
    clientAuthMethod: 'client_secret_post',
    pkce: false,
    supportsRefresh: true,
    identity: {
      from: 'api',
      path: '/account',
      idPath: 'id',
      namePath: 'email',
      headers: { Accept: 'application/vnd.heroku+json; version=3' },
    },
    quirks: { keepFields: ['user_id', 'session_nonce'] },
    scopes: [
      {
        scope: 'identity',
        title: 'Identity',
        description: 'Read the account’s email and name only.',
        category: 'Account',
        isDefault: true,
      },
      {
        scope: 'read',
        title: 'Read',
        description: 'Read apps and their resources, except configuration variables.',
        category: 'Apps',
      },
      {
        scope: 'write',
        title: 'Write',
        description: 'Change apps and their resources, except configuration variables.',
        category: 'Apps',
      },
      {
        scope: 'read-protected',
        title: 'Read config vars',
        description: 'Read apps including their configuration variables.',
        category: 'Apps',
      },
      {
        scope: 'write-protected',
        title: 'Write config vars',
        description: 'Change apps including their configuration variables.',
        category: 'Apps',
      },
      {
        scope: 'global',
        title: 'Full access',
        description: 'Full access to the account and its apps.',
        category: 'Account',
      },
    ],
  },
  api: {
    baseUrl: 'https://api.heroku.com',
    defaultHeaders: { Accept: 'application/vnd.heroku+json; version=3' },
    rateLimits: { statuses: [429], retryAfter: false, headers: { remaining: 'RateLimit-Remaining' } },
    errors: { messagePaths: ['message'], reasonPaths: ['id'] },
  },
});

import { defineProvider } from './provider-schema.js';

// Heroku OAuth. Access tokens last eight hours; the refresh token does not expire or change. The
// Platform API wants Accept: application/vnd.heroku+json; version=3. The OAuth article names the
// token and authorize endpoints (id.heroku.com/oauth/token, /oauth/authorize) and exchanges and
// refreshes with client_secret in the form.
// unverified: the eight-hour access token lifetime, on which no behaviour depends: the gateway
// follows each answer's expires_in. Heroku's own sources disagree with each other (the Platform API
// schema's example, in heroku-client's oauthToken docs, is 2592000 s; its OAuth Authorization
// example 7200 s; heroku/omniauth-heroku's spec stubs 3600), and a Heroku token answer copied in a
// third-party note ("expires_in":28799, with user_id and session_nonce) agrees with eight hours.
// Searched 2026-12-02: docs and pages corpora (the stored copies of the OAuth article, 2014 and
// 2024, end before its token-exchange section), the Heroku changelog.
// unverified: revocation. Heroku revokes by deleting the authorization (DELETE
// /oauth/authorizations/{id} on the Platform API, heroku-client's oauthAuthorization docs), and the
// token answer documented here carries no authorization id, so none is declared: sign-out forgets
// the tokens locally and the member removes the app at dashboard.heroku.com/account/applications.
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

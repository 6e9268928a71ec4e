import { defineProvider } from './provider-schema.js';

// Asana OAuth: authorization code grant at /-/oauth_authorize, /-/oauth_token and /-/oauth_revoke
// (the OAuth page's quick reference). Access tokens last one hour; refresh answers leave out
// refresh_token and the original keeps working. Revocation is a POST of client id, secret and token.
// A 429 carries Retry-After in seconds; limits are per token.
// PKCE: Asana's own example server (github.com/Asana/devrel-examples, javascript/pkce_oauth)
// sends code_challenge with code_challenge_method=S256 and code_verifier at the token exchange.
// The #user-authorization-endpoint and #token-exchange-endpoint anchors are the ones Asana's
// javascript/node-oauth-demo cites.
// A refresh answer may leave out refresh_token and the original stays usable: Asana's own Node
// client (Asana/node-asana v1.0.5, lib/auth/oauth_authenticator.js) keeps the old refresh token
// when a refresh answer has none ("Update credentials, but hang on to refresh token"), and its
// lib/auth/app.js documents the refresh answer as carrying the access token only; it sends
// client_id and client_secret in the form for both the code exchange and the refresh.
// The revocation link names the OAuth page, whose quick reference lists /-/oauth_revoke (no
// anchor of its revoke section was seen in any Asana source).
// Still open: the revoke body. The gateway sends RFC 7009's token and token_type_hint with
// client_id and client_secret in the form, as it authenticates at the token endpoint; no Asana
// source read here shows a revoke call (searched 2026-12-02: the stored quick reference,
// Asana/node-asana, python-asana and ruby-asana histories, Asana/devrel-examples,
// find_string "app.asana.com/-/oauth_revoke", which finds only third-party code, all sending
// client_id, client_secret and token as a form). A refused revocation is reported, and the
// tokens are forgotten locally all the same.
export default defineProvider({
  name: 'ASANA',
  key: 'asana',
  displayName: 'Asana',
  categories: ['Project management'],
  authModes: ['OAUTH2'],
  docs: {
    authorization: 'https://developers.asana.com/docs/oauth#user-authorization-endpoint',
    token: 'https://developers.asana.com/docs/oauth#token-exchange-endpoint',
    scopes: 'https://developers.asana.com/docs/oauth-scopes',
    refresh: 'https://developers.asana.com/docs/oauth#token-exchange-endpoint',
    revocation: 'https://developers.asana.com/docs/oauth',
    identity: 'https://developers.asana.com/reference/getuser',
    api: 'https://developers.asana.com/docs/overview',
    rateLimits: 'https://developers.asana.com/docs/rate-limits',
    errors: 'https://developers.asana.com/docs/errors',
  },
  oauth: {
    issuer: 'https://app.asana.com',
    endpoints: {
      authorization: 'https://app.asana.com/-/oauth_authorize',
      token: 'https://app.asana.com/-/oauth_token',
      revocation: 'https://app.asana.com/-/oauth_revoke',
    },
    appRegistrationUrl: 'https://app.asana.com/0/my-apps',
    scopeSeparator: ' ',
    clientAuthMethod: 'client_secret_post',
    pkce: true,
    supportsRefresh: true,
    revocation: 'rfc7009',
    identity: { from: 'api', path: '/users/me', idPath: 'data.gid', namePath: 'data.name' },
    quirks: { refreshTokenMayBeOmitted: true },
    scopes: [
      {
        scope: 'default',
        title: 'Full access',
        description: 'Full access to the user’s Asana data (apps without granular scopes).',
        category: 'Workspace',
        isDefault: true,
      },
      {
        scope: 'openid',
        title: 'OpenID Connect',
        description: 'Receive an id_token identifying the user.',
        category: 'Account',
      },
      {
        scope: 'email',
        title: 'Email',
        description: 'Read the user’s email through OpenID Connect.',
        category: 'Account',
      },
      {
        scope: 'profile',
        title: 'Profile',
        description: 'Read the user’s name and photo through OpenID Connect.',
        category: 'Account',
      },
      { scope: 'tasks:read', title: 'Read tasks', description: 'Read tasks.', category: 'Tasks' },
      {
        scope: 'tasks:write',
        title: 'Write tasks',
        description: 'Create and update tasks.',
        category: 'Tasks',
      },
      {
        scope: 'projects:read',
        title: 'Read projects',
        description: 'Read projects.',
        category: 'Projects',
      },
      { scope: 'users:read', title: 'Read users', description: 'Read users.', category: 'Users' },
    ],
  },
  api: {
    baseUrl: 'https://app.asana.com/api/1.0',
    rateLimits: { statuses: [429], retryAfter: true },
    errors: { messagePaths: ['errors.0.message'], reasonPaths: ['errors.0.help'] },
  },
});

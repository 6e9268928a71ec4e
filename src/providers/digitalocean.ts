import { defineProvider } from './provider-schema.js';

// DigitalOcean OAuth (docs.digitalocean.com/documentation/oauth, "Last verified 28 Sep 2026"; the
// older reference/api/oauth page listed a separate /refresh): /authorize, /token (refresh is
// grant_type=refresh_token at /token) and /revoke under cloud.digitalocean.com/v1/oauth. Access
// tokens last 30 days; refresh tokens are single-use and each refresh answer carries the next one.
// Revocation is POST /v1/oauth/revoke with the access token as Bearer and as the form field
// `token`, as DigitalOcean's own Terraform provider sends it (digitalocean/terraform-provider-
// digitalocean, RevokeOAuthToken). The page names two kinds of client: confidential clients
// (registered in the control panel, with a client secret: this gateway) and public clients, which
// have no secret and use PKCE instead.
// Still open: whether a confidential client may add PKCE too (the page describes it for public
// clients only; searched 2026-12-02: both OAuth pages, digitalocean/openapi). The safe default
// is kept: no PKCE, the client secret alone, as the page describes confidential clients. The links
// name the page without an anchor (the stored copies are readable only to the endpoint table).
// Every answer carries RateLimit-Limit/-Remaining/-Reset (Unix time of the oldest request's
// expiry) and a spent limit is 429 (the API introduction's Rate Limit section, from
// digitalocean/openapi specification/description.md).
export default defineProvider({
  name: 'DIGITALOCEAN',
  key: 'digitalocean',
  displayName: 'DigitalOcean',
  categories: ['Developer tools'],
  authModes: ['OAUTH2'],
  docs: {
    authorization: 'https://docs.digitalocean.com/documentation/oauth/',
    token: 'https://docs.digitalocean.com/documentation/oauth/',
    scopes: 'https://docs.digitalocean.com/reference/api/scopes/',
    refresh: 'https://docs.digitalocean.com/documentation/oauth/',
    revocation: 'https://docs.digitalocean.com/documentation/oauth/',
    identity: 'https://docs.digitalocean.com/reference/api/digitalocean/#tag/Account',
    api: 'https://docs.digitalocean.com/reference/api/',
    rateLimits: 'https://docs.digitalocean.com/reference/api/digitalocean/#section/Introduction/Rate-Limit',
    errors: 'https://docs.digitalocean.com/reference/api/digitalocean/#section/Introduction/HTTP-Statuses',
  },
  oauth: {
    issuer: 'https://cloud.digitalocean.com',
    endpoints: {
      authorization: 'https://cloud.digitalocean.com/v1/oauth/authorize',
      token: 'https://cloud.digitalocean.com/v1/oauth/token',
      revocation: 'https://cloud.digitalocean.com/v1/oauth/revoke',
    },
    appRegistrationUrl: 'https://cloud.digitalocean.com/account/api/applications',
    scopeSeparator: ' ',
    clientAuthMethod: 'client_secret_post',
    pkce: false,
    supportsRefresh: true,
    revocation: 'bearer-and-token-field',
    identity: { from: 'api', path: '/account', idPath: 'account.uuid', namePath: 'account.email' },
    quirks: { refreshTokenRotates: true },
    scopes: [
      {
        scope: 'read',
        title: 'Read',
        description: 'Read access to the account’s resources.',
        category: 'Account',
        isDefault: true,
      },
      {
        scope: 'write',
        title: 'Read and write',
        description: 'Read and change the account’s resources.',
        category: 'Account',
      },
    ],
  },
  api: {
    baseUrl: 'https://api.digitalocean.com/v2',
    rateLimits: {
      statuses: [429],
      retryAfter: false,
      headers: { limit: 'ratelimit-limit', remaining: 'ratelimit-remaining', reset: 'ratelimit-reset' },
      resetUnit: 'epoch-seconds',
    },
    errors: { messagePaths: ['message'], reasonPaths: ['id'] },
  },
});

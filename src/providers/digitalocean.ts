import { defineProvider } from './provider-schema.js';

// DigitalOcean OAuth. Access tokens last 30 days; refresh tokens are single-use and each refresh
// answer carries the next one. Revocation is POST /v1/oauth/revoke authenticated with the token
// itself.
export default defineProvider({
  name: 'DIGITALOCEAN',
  key: 'digitalocean',
  displayName: 'DigitalOcean',
  categories: ['Developer tools'],
  authModes: ['OAUTH2'],
  docs: {
    authorization: 'https://docs.digitalocean.com/reference/api/oauth/#authorization-request',
    token: 'https://docs.digitalocean.com/reference/api/oauth/#access-token-request',
    scopes: 'https://docs.digitalocean.com/reference/api/scopes/',
    refresh: 'https://docs.digitalocean.com/reference/api/oauth/#refresh-token-flow',
    revocation: 'https://docs.digitalocean.com/reference/api/oauth/#revoke-an-access-token',
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
    revocation: 'bearer-token',
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

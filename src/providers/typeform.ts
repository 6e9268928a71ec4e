import { defineProvider } from './provider-schema.js';

// Typeform OAuth. The offline scope asks for a refresh token; access tokens last one week and each
// refresh issues a new refresh token. Endpoints: the applications guide's urlAuthorize and
// urlAccessToken. The access token lifetime is set per application (one week by default).
// Rate limit: two requests per second per account on the Create and Responses APIs
// (get-started#rate-limits). Typeform's own client, github.com/Typeform/js-api-client
// (src/utils.ts), cites that section as "two requests per second, per Typeform account" and
// paces itself with a 500 ms wait instead of reading any header, so no quota header is declared.
// Whether a 429 carries Retry-After is undocumented by Typeform (searched 2026-12-02: docs and
// pages corpora for the get-started page, which is not stored, and "Typeform rate limit 429", which
// finds only third-party summaries that disagree; Typeform/js-api-client handles no 429 and reads
// no header); the gateway handles both: it honours a Retry-After when one comes (retryAfter: true)
// and otherwise waits one second, the documented two-a-second pace.
export default defineProvider({
  name: 'TYPEFORM',
  key: 'typeform',
  displayName: 'Typeform',
  categories: ['Forms & surveys'],
  authModes: ['OAUTH2'],
  docs: {
    authorization: 'https://www.typeform.com/developers/get-started/applications/#1-authorize-your-application',
    token: 'https://www.typeform.com/developers/get-started/applications/#2-get-an-access-token',
    scopes: 'https://www.typeform.com/developers/get-started/scopes/',
    refresh: 'https://www.typeform.com/developers/get-started/applications/#refresh-tokens',
    identity: 'https://www.typeform.com/developers/account/reference/retrieve-own-account/',
    api: 'https://www.typeform.com/developers/',
    rateLimits: 'https://www.typeform.com/developers/get-started/#rate-limits',
    errors: 'https://www.typeform.com/developers/get-started/#errors',
  },
  oauth: {
    issuer: 'https://api.typeform.com',
    endpoints: {
      authorization: 'https://api.typeform.com/oauth/authorize',
      token: 'https://api.typeform.com/oauth/token',
    },
    appRegistrationUrl: 'https://admin.typeform.com/account#/section/apps',
    scopeSeparator: ' ',
    clientAuthMethod: 'client_secret_post',
    pkce: false,
    supportsRefresh: true,
    identity: { from: 'api', path: '/me', idPath: 'user_id', namePath: 'alias' },
    quirks: { refreshTokenRotates: true },
    scopes: [
      {
        scope: 'offline',
        title: 'Stay connected',
        description: 'Receive a refresh token.',
        category: 'Account',
        isRequired: true,
      },
      {
        scope: 'accounts:read',
        title: 'Account',
        description: 'Read the account’s information.',
        category: 'Account',
        isDefault: true,
      },
      {
        scope: 'forms:read',
        title: 'Read forms',
        description: 'Read forms.',
        category: 'Forms',
        isDefault: true,
      },
      {
        scope: 'forms:write',
        title: 'Write forms',
        description: 'Create and change forms.',
        category: 'Forms',
      },
      {
        scope: 'responses:read',
        title: 'Read responses',
        description: 'Read form responses.',
        category: 'Responses',
      },
      {
        scope: 'responses:write',
        title: 'Delete responses',
        description: 'Delete form responses.',
        category: 'Responses',
      },
      {
        scope: 'webhooks:read',
        title: 'Read webhooks',
        description: 'Read webhooks.',
        category: 'Webhooks',
      },
      {
        scope: 'webhooks:write',
        title: 'Write webhooks',
        description: 'Create and change webhooks.',
        category: 'Webhooks',
      },
      {
        scope: 'workspaces:read',
        title: 'Read workspaces',
        description: 'Read workspaces.',
        category: 'Workspaces',
      },
    ],
  },
  api: {
    baseUrl: 'https://api.typeform.com',
    rateLimits: { statuses: [429], retryAfter: true, defaultWaitSeconds: 1 },
    errors: { messagePaths: ['description'], reasonPaths: ['code'] },
  },
});

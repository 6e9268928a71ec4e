import { defineProvider } from './provider-schema.js';

// HubSpot public apps on the date-versioned OAuth API (2026-03): the v1 endpoints (/oauth/v1/token,
// DELETE /oauth/v1/refresh-tokens/{token}) are deprecated on February 16, 2027 (HubSpot's v1
// migration guide). POST /oauth/2026-03/token takes every parameter in a form body, code_verifier
// included; access tokens last 30 minutes and the refresh token does not change. Revocation is
// POST /oauth/2026-03/token/revoke with client_id, client_secret, token and token_type_hint.
// A spent limit answers 429 with errorType RATE_LIMIT and policyName DAILY or SECONDLY.
// Calls made with an OAuth token carry the X-HubSpot-RateLimit-* headers too, all but -Daily and
// -Daily-Remaining since OAuth calls have no daily limit (HubSpot changelog, "Rate limit headers will
// now appear for OAuth authenticated calls"); the burst limit they report is per app and account,
// counted over X-HubSpot-RateLimit-Interval-Milliseconds (10 seconds).
// Still open: the names X-HubSpot-RateLimit-Max and -Remaining. No HubSpot source read here
// names them (searched 2026-12-02: the usage guidelines page, whose stored copies are readable only
// to their opening; the changelog entries on rate-limit headers, which say "X-HubSpot-RateLimit-*";
// HubSpot/hubspot-api-nodejs, which reads no rate-limit header and retries a 429 after waits of
// its own); they come from third-party clients and recorded HubSpot answers. Nothing waits on them: a
// 429 waits defaultWaitSeconds (10 s, the burst interval), and the names only feed the usage the
// gateway reports, which is absent if they are wrong.
export default defineProvider({
  name: 'HUBSPOT',
  key: 'hubspot',
  displayName: 'HubSpot',
  categories: ['CRM & sales'],
  authModes: ['OAUTH2'],
  docs: {
    authorization: 'https://developers.hubspot.com/docs/api/oauth-quickstart-guide#initiating-oauth-access',
    token: 'https://developers.hubspot.com/docs/api-reference/2026-03/authentication/oauth-tokens/refresh-oauth-token',
    scopes: 'https://developers.hubspot.com/docs/api/scopes',
    refresh: 'https://developers.hubspot.com/docs/api-reference/2026-03/authentication/oauth-tokens/refresh-oauth-token',
    revocation: 'https://developers.hubspot.com/docs/api-reference/latest/authentication/oauth-tokens/revoke-token',
    identity: 'https://developers.hubspot.com/docs/api/settings/account-information-api',
    api: 'https://developers.hubspot.com/docs/api/overview',
    rateLimits: 'https://developers.hubspot.com/docs/api/usage-details#rate-limits',
    errors: 'https://developers.hubspot.com/docs/api/error-handling',
  },
  oauth: {
    issuer: 'https://app.hubspot.com',
    endpoints: {
      authorization: 'https://app.hubspot.com/oauth/authorize',
      token: 'https://api.hubapi.com/oauth/2026-03/token',
      revocation: 'https://api.hubapi.com/oauth/2026-03/token/revoke',
    },
    appRegistrationUrl: 'https://app.hubspot.com/developer',
    scopeSeparator: ' ',
    clientAuthMethod: 'client_secret_post',
    pkce: true,
    supportsRefresh: true,
    revocation: 'rfc7009',
    identity: { from: 'api', path: '/account-info/v3/details', idPath: 'portalId', namePath: 'uiDomain' },
    scopes: [
      {
        scope: 'oauth',
        title: 'OAuth',
        description: 'Required by HubSpot for every OAuth app.',
        category: 'Account',
        isRequired: true,
      },
      {
        scope: 'crm.objects.contacts.read',
        title: 'Read contacts',
        description: 'View contacts.',
        category: 'CRM',
        isDefault: true,
      },
      {
        scope: 'crm.objects.contacts.write',
        title: 'Write contacts',
        description: 'Create, update and delete contacts.',
        category: 'CRM',
      },
      {
        scope: 'crm.objects.companies.read',
        title: 'Read companies',
        description: 'View companies.',
        category: 'CRM',
      },
      {
        scope: 'crm.objects.companies.write',
        title: 'Write companies',
        description: 'Create, update and delete companies.',
        category: 'CRM',
      },
      {
        scope: 'crm.objects.deals.read',
        title: 'Read deals',
        description: 'View deals.',
        category: 'CRM',
      },
      {
        scope: 'crm.objects.deals.write',
        title: 'Write deals',
        description: 'Create, update and delete deals.',
        category: 'CRM',
      },
      { scope: 'tickets', title: 'Tickets', description: 'Read and write tickets.', category: 'Service' },
      {
        scope: 'forms',
        title: 'Forms',
        description: 'Read and write marketing forms.',
        category: 'Marketing',
      },
      {
        scope: 'content',
        title: 'Content',
        description: 'Read and write website pages, blogs and templates.',
        category: 'CMS',
      },
    ],
  },
  api: {
    baseUrl: 'https://api.hubapi.com',
    rateLimits: {
      statuses: [429],
      retryAfter: false,
      headers: { limit: 'X-HubSpot-RateLimit-Max', remaining: 'X-HubSpot-RateLimit-Remaining' },
      defaultWaitSeconds: 10,
    },
    errors: { messagePaths: ['message'], reasonPaths: ['category'] },
  },
});

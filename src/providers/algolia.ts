import { defineProvider } from './provider-schema.js';

// Algolia takes the API key in X-Algolia-API-Key and the application id in
// X-Algolia-Application-Id, on https://<appId>.algolia.net. The application id is per account: set
// LATCHKEY_ALGOLIA_API_URL to your application’s host and send X-Algolia-Application-Id with each
// proxied request (the built-in URL names the placeholder application "example"). No check request:
// every Algolia request needs the application id.
// Per-account hosts: https://www.algolia.com/doc/rest-api/search/#section/Base-URLs
// Rate limits on the Search API are per API key: maxQueriesPerIPPerHour, answered with 429 (the
// API key restrictions guide; Algolia's OpenAPI source, algolia/api-clients-automation
// specs/search/paths/keys/common/schemas.yml). The Search API description has no rate-limit
// section, so docs.rateLimits points at that guide.
// Rate-limit headers on the Search API are undocumented by Algolia: its OpenAPI source declares
// x-ratelimit-limit, -remaining and -reset (Unix seconds; specs/common/responses/rateLimit.yml)
// only on the abtesting, analytics, insights and personalization specs, never on search, and its
// own clients read no header and do not retry a 4xx (client-common transporter/responses.ts,
// searched 2026-12-02). The gateway handles both: a 429 whose headers say none remain waits until
// their reset, and one without them waits defaultWaitSeconds (60; the key limit is hourly).
export default defineProvider({
  name: 'ALGOLIA',
  key: 'algolia',
  displayName: 'Algolia',
  categories: ['Search'],
  authModes: ['API_KEY'],
  docs: {
    apiKey: 'https://www.algolia.com/doc/rest-api/search/#section/Authentication',
    api: 'https://www.algolia.com/doc/rest-api/search/',
    rateLimits: 'https://www.algolia.com/doc/guides/security/api-keys/in-depth/api-key-restrictions#rate-limit',
    errors: 'https://www.algolia.com/doc/rest-api/search/#section/Errors',
  },
  credentials: {
    apiKey: { in: 'header', name: 'X-Algolia-API-Key', format: '{apiKey}' },
    form: {
      apiKeyLabel: 'API key',
      help: 'Copy an API key from https://dashboard.algolia.com/account/api-keys.',
    },
  },
  api: {
    baseUrl: 'https://example.algolia.net',
    rateLimits: {
      statuses: [429],
      retryAfter: false,
      headers: { limit: 'x-ratelimit-limit', remaining: 'x-ratelimit-remaining', reset: 'x-ratelimit-reset' },
      resetUnit: 'epoch-seconds',
    },
    errors: { messagePaths: ['message'], reasonPaths: ['status'] },
  },
});

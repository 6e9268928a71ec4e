import { defineProvider } from './provider-schema.js';

// Algolia takes the API key in X-Algolia-API-Key and the application id in
// X-Algolia-Application-Id, on https://<appId>.algolia.net. The application id is per account: set
// LATCHKEY_ALGOLIA_API_URL to your application’s host and send X-Algolia-Application-Id with each
// proxied request (the built-in URL names the placeholder application "example"). No check request:
// every Algolia request needs the application id.
// Per-account hosts: https://www.algolia.com/doc/rest-api/search/#section/Base-URLs
// unverified: rate-limit headers on the Search API. Algolia documents x-ratelimit-limit, -remaining
// and -reset (Unix seconds) for its Analytics-family APIs (e.g. algolia.com/doc/rest-api/personalization);
// the Search API's 429 (a key's maxQueriesPerIPPerHour) may come without them, and the gateway then
// waits defaultWaitSeconds.
export default defineProvider({
  name: 'ALGOLIA',
  key: 'algolia',
  displayName: 'Algolia',
  categories: ['Search'],
  authModes: ['API_KEY'],
  docs: {
    apiKey: 'https://www.algolia.com/doc/rest-api/search/#section/Authentication',
    api: 'https://www.algolia.com/doc/rest-api/search/',
    rateLimits: 'https://www.algolia.com/doc/rest-api/search/#section/Rate-limiting',
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

import { defineProvider } from './provider-schema.js';

// Trello’s only delegated flow is OAuth 1.0a, which the gateway does not speak; its REST API takes
// the member’s token as token= and the app’s API key as key= query parameters. The connection
// stores the member token; send key= with each proxied request. No check request: every Trello
// request needs the app’s key. Limits: 300 requests per 10 seconds per API key and 100 per token,
// answered with 429 and {"error": "API_TOKEN_LIMIT_EXCEEDED" | "API_KEY_LIMIT_EXCEEDED",
// "message"} (the rate-limits guide).
// Atlassian's own tracker says a 429 carries retry-after and x-rate-limit-* headers (TRELLO-1104,
// jira.atlassian.com/browse/TRELLO-1104, fixed: those headers were unreadable from a browser for
// lack of CORS headers), so the gateway reads Retry-After first. The exact header names are
// undocumented by Atlassian (searched 2026-12-02: docs corpus, the rate-limits guide of 2026-01-26,
// support.atlassian.com/trello/docs/api-rate-limits, find_string "x-rate-limit-api-token-remaining");
// a Trello answer captured in public code (2022) has x-rate-limit-api-{key,token}-{interval-ms,max,
// remaining}, which the file reads for the quota. None carries a reset time, so without Retry-After
// the gateway waits defaultWaitSeconds (10, the guide's window).
export default defineProvider({
  name: 'TRELLO',
  key: 'trello',
  displayName: 'Trello',
  categories: ['Project management'],
  authModes: ['API_KEY'],
  docs: {
    apiKey: 'https://developer.atlassian.com/cloud/trello/guides/rest-api/authorization/',
    api: 'https://developer.atlassian.com/cloud/trello/rest/',
    rateLimits: 'https://developer.atlassian.com/cloud/trello/guides/rest-api/rate-limits/',
    errors: 'https://developer.atlassian.com/cloud/trello/guides/rest-api/status-codes/',
  },
  credentials: {
    apiKey: { in: 'query', name: 'token' },
    form: {
      apiKeyLabel: 'Member token',
      help: 'Generate a token for your Power-Up’s API key at https://trello.com/power-ups/admin.',
    },
  },
  api: {
    baseUrl: 'https://api.trello.com/1',
    rateLimits: {
      statuses: [429],
      retryAfter: true,
      headers: { limit: 'x-rate-limit-api-token-max', remaining: 'x-rate-limit-api-token-remaining' },
      defaultWaitSeconds: 10,
    },
    errors: { messagePaths: ['message', 'error'], reasonPaths: ['error'] },
  },
});

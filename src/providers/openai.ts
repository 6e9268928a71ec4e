import { defineProvider } from './provider-schema.js';

// An API key per project (or a legacy user key), sent as a Bearer token. GET /v1/models answers 200
// for any valid key and 401 for an unknown or revoked one, which makes it the check request.
// Rate-limit headers: x-ratelimit-limit-requests, -remaining-requests and -reset-requests, the last
// a duration such as "12ms" or "6m0s" (the rate-limits guide, "rate limits in headers").
export default defineProvider({
  name: 'OPENAI',
  key: 'openai',
  displayName: 'OpenAI',
  categories: ['AI'],
  authModes: ['API_KEY'],
  docs: {
    apiKey: 'https://platform.openai.com/docs/api-reference/authentication',
    credentialCheck: 'https://platform.openai.com/docs/api-reference/models/list',
    api: 'https://platform.openai.com/docs/api-reference/introduction',
    rateLimits: 'https://platform.openai.com/docs/guides/rate-limits#rate-limits-in-headers',
    errors: 'https://platform.openai.com/docs/guides/error-codes#api-errors',
    pagination: 'https://platform.openai.com/docs/api-reference/pagination',
  },
  credentials: {
    apiKey: { in: 'header', name: 'Authorization', format: 'Bearer {apiKey}' },
    form: {
      apiKeyLabel: 'API key',
      help: 'Create a project API key at https://platform.openai.com/api-keys.',
    },
    check: { method: 'GET', path: '/v1/models', validStatuses: [200], refusedStatuses: [401, 403] },
  },
  api: {
    baseUrl: 'https://api.openai.com',
    rateLimits: {
      statuses: [429],
      retryAfter: true,
      headers: {
        limit: 'x-ratelimit-limit-requests',
        remaining: 'x-ratelimit-remaining-requests',
        reset: 'x-ratelimit-reset-requests',
      },
      // "1s", "6m0s": the time until the request limit resets.
      resetUnit: 'duration',
      defaultWaitSeconds: 20,
    },
    errors: { messagePaths: ['error.message'], reasonPaths: ['error.code', 'error.type'] },
    pagination: { style: 'cursor', cursorParam: 'after', nextCursorPath: 'last_id', limitParam: 'limit' },
    bodyEncoding: 'json',
  },
});

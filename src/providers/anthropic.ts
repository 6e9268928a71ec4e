import { defineProvider } from './provider-schema.js';

// An API key sent in the x-api-key header, with the API version in anthropic-version. GET
// /v1/models answers 200 for a valid key and 401 for an unknown one. The API overview
// (docs.claude.com/en/api/overview, where docs.anthropic.com now leads) requires x-api-key and JSON
// bodies. Rate limits: anthropic-ratelimit-requests-limit and -remaining on every answer, a 429
// rate_limit_error with retry-after (the rate-limits and errors pages). The -reset header is an RFC
// 3339 time, which the reset units here do not include, so retry-after is what the gateway waits on.
export default defineProvider({
  name: 'ANTHROPIC',
  key: 'anthropic',
  displayName: 'Anthropic',
  categories: ['AI'],
  authModes: ['API_KEY'],
  docs: {
    apiKey: 'https://docs.anthropic.com/en/api/overview#authentication',
    credentialCheck: 'https://docs.anthropic.com/en/api/models-list',
    api: 'https://docs.anthropic.com/en/api/overview',
    rateLimits: 'https://docs.anthropic.com/en/api/rate-limits',
    errors: 'https://docs.anthropic.com/en/api/errors',
  },
  credentials: {
    apiKey: { in: 'header', name: 'x-api-key', format: '{apiKey}' },
    form: {
      apiKeyLabel: 'API key',
      help: 'Create an API key in the Claude Console under Settings, API keys (https://console.anthropic.com/settings/keys).',
    },
    check: { method: 'GET', path: '/v1/models', validStatuses: [200], refusedStatuses: [401, 403] },
  },
  api: {
    baseUrl: 'https://api.anthropic.com',
    defaultHeaders: { 'anthropic-version': '2023-06-01' },
    rateLimits: {
      statuses: [429],
      retryAfter: true,
      headers: {
        limit: 'anthropic-ratelimit-requests-limit',
        remaining: 'anthropic-ratelimit-requests-remaining',
      },
    },
    errors: { messagePaths: ['error.message'], reasonPaths: ['error.type'] },
  },
});

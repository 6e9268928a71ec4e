import { defineProvider } from './provider-schema.js';

// An API key sent as a Bearer token. The check lists domains, which needs a full-access key: a
// sending-only key is refused (401).
export default defineProvider({
  name: 'RESEND',
  key: 'resend',
  displayName: 'Resend',
  categories: ['Email'],
  authModes: ['API_KEY'],
  docs: {
    apiKey: 'https://resend.com/docs/api-reference/introduction#authentication',
    credentialCheck: 'https://resend.com/docs/api-reference/domains/list-domains',
    api: 'https://resend.com/docs/api-reference/introduction',
    rateLimits: 'https://resend.com/docs/api-reference/introduction#rate-limit',
    errors: 'https://resend.com/docs/api-reference/errors',
  },
  credentials: {
    apiKey: { in: 'header', name: 'Authorization', format: 'Bearer {apiKey}' },
    form: { apiKeyLabel: 'API key', help: 'Create a full-access API key at https://resend.com/api-keys.' },
    check: { method: 'GET', path: '/domains', validStatuses: [200], refusedStatuses: [401, 403] },
  },
  api: {
    baseUrl: 'https://api.resend.com',
    rateLimits: {
      statuses: [429],
      retryAfter: true,
      headers: { limit: 'ratelimit-limit', remaining: 'ratelimit-remaining', reset: 'ratelimit-reset' },
      resetUnit: 'delta-seconds',
    },
    errors: { messagePaths: ['message'], reasonPaths: ['name'] },
  },
});

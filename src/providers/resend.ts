import { defineProvider } from './provider-schema.js';

// An API key sent as a Bearer token; every request needs a User-Agent (the gateway always sends
// one). The check lists domains, which needs a full-access key: a sending-only key answers 401
// restricted_api_key and is refused. An unknown key answers 400 validation_error ("API key is
// invalid") on every endpoint but sending, 403 invalid_api_key in older versions of the errors page.
// Every answer carries ratelimit-limit/-remaining/-reset (seconds until reset) and a 429 carries
// retry-after in seconds (https://resend.com/changelog/api-rate-limit).
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
    check: { method: 'GET', path: '/domains', validStatuses: [200], refusedStatuses: [400, 401, 403] },
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

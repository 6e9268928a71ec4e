import { defineProvider } from './provider-schema.js';

// An API key sent as a Bearer token. GET /v3/scopes lists what the key may do: 200 for any valid
// key, 401 otherwise. Every answer carries X-RateLimit-Limit, -Remaining and -Reset (a Unix time),
// and errors are {"errors": [{"field", "message"}]} (the rate-limits and errors pages).
export default defineProvider({
  name: 'SENDGRID',
  key: 'sendgrid',
  displayName: 'SendGrid',
  categories: ['Email'],
  authModes: ['API_KEY'],
  docs: {
    apiKey: 'https://www.twilio.com/docs/sendgrid/api-reference/how-to-use-the-sendgrid-v3-api/authentication',
    credentialCheck: 'https://www.twilio.com/docs/sendgrid/api-reference/api-key-permissions/retrieve-a-list-of-scopes-for-which-this-user-has-access',
    api: 'https://www.twilio.com/docs/sendgrid/api-reference',
    rateLimits: 'https://www.twilio.com/docs/sendgrid/api-reference/how-to-use-the-sendgrid-v3-api/rate-limits',
    errors: 'https://www.twilio.com/docs/sendgrid/api-reference/how-to-use-the-sendgrid-v3-api/responses',
  },
  credentials: {
    apiKey: { in: 'header', name: 'Authorization', format: 'Bearer {apiKey}' },
    form: {
      apiKeyLabel: 'API key',
      help: 'Create an API key in SendGrid under Settings, API Keys (https://app.sendgrid.com/settings/api_keys).',
    },
    check: { method: 'GET', path: '/v3/scopes', validStatuses: [200], refusedStatuses: [401, 403] },
  },
  api: {
    baseUrl: 'https://api.sendgrid.com',
    rateLimits: {
      statuses: [429],
      retryAfter: false,
      headers: { limit: 'X-RateLimit-Limit', remaining: 'X-RateLimit-Remaining', reset: 'X-RateLimit-Reset' },
      resetUnit: 'epoch-seconds',
    },
    errors: { messagePaths: ['errors.0.message'], reasonPaths: ['errors.0.field'] },
  },
});

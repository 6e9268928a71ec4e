import { defineProvider } from './provider-schema.js';

// HTTP Basic with the username "api" and the API key as password. EU accounts use
// https://api.eu.mailgun.net: set LATCHKEY_MAILGUN_API_URL.
// Regions: https://documentation.mailgun.com/docs/mailgun/api-reference/#base-url
// Errors carry a "message" key; 429 answers are to be retried "as defined in the response"
// (documentation.mailgun.com, quickstart-guide/responses).
// Mailgun's own documentation source (github.com/mailgun/documentation, the earlier Sphinx docs,
// last changed 2024-07-23) says 429 answers carry the reason and the time in the message ("request
// limit exceeded, try again after <date>") and the Domains, Webhooks and Events APIs answer
// {"retry-seconds": 60}; neither is a header the gateway reads, so it waits defaultWaitSeconds (60).
// Undocumented by Mailgun: X-RateLimit-* headers, their reset unit and a Retry-After header (searched
// 2026-12-02: docs corpus, that documentation repository, which has no X-RateLimit or Retry-After
// anywhere, and Mailgun's own client mailgun/mailgun.js (2026-08), which reads no rate-limit header).
// The gateway handles each way Mailgun may answer: Retry-After when one comes, else the reset
// number by its magnitude (seconds to wait or a Unix time) once the remaining count is 0, else
// defaultWaitSeconds. Whether a wrong key answers 401 or 403 is undocumented the same way (that
// repository's status table says 401 "No valid API key provided", the current responses page 403):
// the check counts both as refused.
export default defineProvider({
  name: 'MAILGUN',
  key: 'mailgun',
  displayName: 'Mailgun',
  categories: ['Email'],
  authModes: ['BASIC'],
  docs: {
    apiKey: 'https://documentation.mailgun.com/docs/mailgun/api-reference/authentication',
    credentialCheck: 'https://documentation.mailgun.com/docs/mailgun/api-reference/send/mailgun/domains/get-v4-domains',
    api: 'https://documentation.mailgun.com/docs/mailgun/api-reference/',
    rateLimits: 'https://documentation.mailgun.com/docs/mailgun/api-reference/#rate-limits',
    errors: 'https://documentation.mailgun.com/docs/mailgun/api-reference/#errors',
  },
  credentials: {
    form: {
      usernameLabel: 'Username (api)',
      passwordLabel: 'API key',
      help: 'Use the username api and a Mailgun API key from https://app.mailgun.com/settings/api_security.',
    },
    check: { method: 'GET', path: '/v4/domains', validStatuses: [200], refusedStatuses: [401, 403] },
  },
  api: {
    baseUrl: 'https://api.mailgun.net',
    rateLimits: {
      statuses: [429],
      retryAfter: true,
      headers: { limit: 'X-RateLimit-Limit', remaining: 'X-RateLimit-Remaining', reset: 'X-RateLimit-Reset' },
      resetUnit: 'seconds-by-magnitude',
    },
    errors: { messagePaths: ['message'] },
  },
});

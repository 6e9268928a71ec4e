import { defineProvider } from './provider-schema.js';

// HTTP Basic with the username "api" and the API key as password. EU accounts use
// https://api.eu.mailgun.net: set LATCHKEY_MAILGUN_API_URL.
// Regions: https://documentation.mailgun.com/docs/mailgun/api-reference/#base-url
// Errors carry a "message" key; 429 answers are to be retried "as defined in the response"
// (documentation.mailgun.com, quickstart-guide/responses).
// Mailgun's own documentation source (github.com/mailgun/documentation, the earlier Sphinx docs,
// last changed 2024-07-23) says 429 answers carry the reason and the time in the message ("request
// limit exceeded, try again after <date>") and the Domains, Webhooks and Events APIs answer
// {"retry-seconds": 60}; the gateway reads neither body. A 429 carries X-RateLimit-Reset, a Unix
// time in seconds (possibly decimal): Mailgun's own Go SDK reads it so (github.com/mailgun/
// mailgun-go errors.go, RateLimitedError.ResetAt, added 2025-09 in #433), and the gateway waits
// until then, or defaultWaitSeconds (60) without it. No Mailgun page names the header (searched
// 2026-12-02: docs corpus, that documentation repository, which has no X-RateLimit or Retry-After
// anywhere, mailgun/mailgun.js, which reads none).
// unverified: X-RateLimit-Limit and -Remaining, read only for the quota when they come (named by no
// Mailgun source; the SDK reads the reset alone), and whether a wrong key answers 401 or 403 (that
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
      retryAfter: false,
      headers: { limit: 'X-RateLimit-Limit', remaining: 'X-RateLimit-Remaining', reset: 'X-RateLimit-Reset' },
      resetUnit: 'epoch-seconds',
    },
    errors: { messagePaths: ['message'] },
  },
});

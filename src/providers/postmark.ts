import { defineProvider } from './provider-schema.js';

// A server token sent in X-Postmark-Server-Token. GET /server answers 200 for a valid token and 401
// otherwise. The API overview states the X-Postmark-Server-Token header, 401 for a wrong or missing
// token, errors as {"ErrorCode", "Message"}, and ErrorCode 429 "Rate Limit Exceeded"; Postmark
// publishes no rate-limit headers or numeric limit.
export default defineProvider({
  name: 'POSTMARK',
  key: 'postmark',
  displayName: 'Postmark',
  categories: ['Email'],
  authModes: ['API_KEY'],
  docs: {
    apiKey: 'https://postmarkapp.com/developer/api/overview#authentication',
    credentialCheck: 'https://postmarkapp.com/developer/api/server-api#get-server',
    api: 'https://postmarkapp.com/developer/api/overview',
    rateLimits: 'https://postmarkapp.com/developer/api/overview#rate-limits',
    errors: 'https://postmarkapp.com/developer/api/overview#error-codes',
  },
  credentials: {
    apiKey: { in: 'header', name: 'X-Postmark-Server-Token', format: '{apiKey}' },
    form: {
      apiKeyLabel: 'Server API token',
      help: 'Copy the Server API token from the server’s API Tokens tab at https://account.postmarkapp.com/servers.',
    },
    check: { method: 'GET', path: '/server', validStatuses: [200], refusedStatuses: [401, 403] },
  },
  api: {
    baseUrl: 'https://api.postmarkapp.com',
    rateLimits: { statuses: [429], retryAfter: false },
    errors: { messagePaths: ['Message'], reasonPaths: ['ErrorCode'] },
  },
});

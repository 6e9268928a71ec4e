import { defineProvider } from './provider-schema.js';

// HTTP Basic: the Account SID (or an API key SID) as user name and the Auth Token (or the API key
// secret) as password. Fetching the account itself answers 200 for valid credentials and 401 otherwise.
// Too many concurrent requests answer 429 with error 20429, never processed and safe to retry
// (twilio.com/docs/api/errors/20429); Twilio documents no rate-limit headers.
export default defineProvider({
  name: 'TWILIO',
  key: 'twilio',
  displayName: 'Twilio',
  categories: ['Communication'],
  authModes: ['BASIC'],
  docs: {
    apiKey: 'https://www.twilio.com/docs/usage/requests-to-twilio#authentication',
    credentialCheck: 'https://www.twilio.com/docs/iam/api/account#fetch-an-account-resource',
    api: 'https://www.twilio.com/docs/usage/api',
    rateLimits: 'https://www.twilio.com/docs/api/errors/20429',
    errors: 'https://www.twilio.com/docs/usage/twilios-response#response-formats-exceptions',
    pagination: 'https://www.twilio.com/docs/usage/twilios-response#response-formats-list-paging-information',
  },
  credentials: {
    form: {
      usernameLabel: 'Account SID',
      passwordLabel: 'Auth token',
      help: 'Find the Account SID and Auth Token on the Twilio Console dashboard (https://console.twilio.com).',
    },
    check: { method: 'GET', path: '/2010-04-01/Accounts/{username}.json', validStatuses: [200], refusedStatuses: [401, 403, 404] },
  },
  api: {
    baseUrl: 'https://api.twilio.com',
    // 429 (error 20429) when too many concurrent requests are open; no quota headers.
    rateLimits: { statuses: [429], retryAfter: false, defaultWaitSeconds: 1 },
    // {"code": 20404, "message": "…", "more_info": "…", "status": 404}
    errors: { messagePaths: ['message'], reasonPaths: ['code'] },
    pagination: { style: 'next-url', nextUrlPath: 'next_page_uri' },
    // Twilio's API takes application/x-www-form-urlencoded bodies.
    bodyEncoding: 'form',
  },
});

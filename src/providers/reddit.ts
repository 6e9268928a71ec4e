import { defineProvider } from './provider-schema.js';

// Reddit OAuth2 for web apps. duration=permanent asks for a refresh token; Basic client
// authentication; access tokens last one hour and the refresh token does not change. Reddit
// requires a descriptive User-Agent on API calls. Rate limits are reported in X-Ratelimit-Used,
// X-Ratelimit-Remaining and X-Ratelimit-Reset (approximate seconds to the end of the period)
// (Reddit's Data API Wiki, support.reddithelp.com, docs.rateLimits). Since 1 July 2023 the free
// tier allows 100 queries a minute per OAuth client id, counted by client id alone, and 10 without
// OAuth (the same article, and Reddit's announcements of 2023-05-31 in r/redditdev "API Update:
// Enterprise Level Tier for Large Scale Applications" and r/modnews "API Update: Continued access
// to our API for moderators"); the older API wiki said 60. The file declares no number, only the
// headers, so the gateway waits as long as the reset header says.
export default defineProvider({
  name: 'REDDIT',
  key: 'reddit',
  displayName: 'Reddit',
  categories: ['Social'],
  authModes: ['OAUTH2'],
  docs: {
    authorization: 'https://github.com/reddit-archive/reddit/wiki/OAuth2#authorization',
    token: 'https://github.com/reddit-archive/reddit/wiki/OAuth2#retrieving-the-access-token',
    scopes: 'https://www.reddit.com/dev/api/oauth',
    refresh: 'https://github.com/reddit-archive/reddit/wiki/OAuth2#refreshing-the-token',
    revocation: 'https://github.com/reddit-archive/reddit/wiki/OAuth2#manually-revoking-a-token',
    identity: 'https://www.reddit.com/dev/api/#GET_api_v1_me',
    api: 'https://www.reddit.com/dev/api/',
    rateLimits: 'https://support.reddithelp.com/hc/en-us/articles/16160319875092-Reddit-Data-API-Wiki',
    errors: 'https://www.reddit.com/dev/api/',
  },
  oauth: {
    issuer: 'https://www.reddit.com',
    endpoints: {
      authorization: 'https://www.reddit.com/api/v1/authorize',
      token: 'https://www.reddit.com/api/v1/access_token',
      revocation: 'https://www.reddit.com/api/v1/revoke_token',
    },
    appRegistrationUrl: 'https://www.reddit.com/prefs/apps',
    scopeSeparator: ' ',
    clientAuthMethod: 'client_secret_basic',
    pkce: false,
    supportsRefresh: true,
    revocation: 'rfc7009',
    authorizationParams: { duration: 'permanent' },
    identity: { from: 'api', path: '/api/v1/me', idPath: 'id', namePath: 'name' },
    quirks: { refreshTokenMayBeOmitted: true },
    scopes: [
      {
        scope: 'identity',
        title: 'Identity',
        description: 'Read the username and signup date.',
        category: 'Account',
        isDefault: true,
      },
      {
        scope: 'read',
        title: 'Read',
        description: 'Read posts and comments.',
        category: 'Content',
        isDefault: true,
      },
      {
        scope: 'history',
        title: 'History',
        description: 'Read the user’s voting history and saved posts.',
        category: 'Account',
      },
      {
        scope: 'mysubreddits',
        title: 'My subreddits',
        description: 'List the subreddits the user moderates, contributes to or subscribes to.',
        category: 'Subreddits',
      },
      {
        scope: 'submit',
        title: 'Submit',
        description: 'Submit links and comments.',
        category: 'Content',
      },
      {
        scope: 'edit',
        title: 'Edit',
        description: 'Edit and delete the user’s posts and comments.',
        category: 'Content',
      },
      { scope: 'vote', title: 'Vote', description: 'Vote on posts and comments.', category: 'Content' },
      {
        scope: 'save',
        title: 'Save',
        description: 'Save and unsave posts and comments.',
        category: 'Content',
      },
      {
        scope: 'subscribe',
        title: 'Subscribe',
        description: 'Subscribe to and unsubscribe from subreddits.',
        category: 'Subreddits',
      },
      {
        scope: 'privatemessages',
        title: 'Messages',
        description: 'Read and send private messages.',
        category: 'Messages',
      },
    ],
  },
  api: {
    baseUrl: 'https://oauth.reddit.com',
    rateLimits: {
      statuses: [429],
      retryAfter: false,
      headers: { used: 'X-Ratelimit-Used', remaining: 'X-Ratelimit-Remaining', reset: 'X-Ratelimit-Reset' },
      resetUnit: 'delta-seconds',
    },
    errors: { messagePaths: ['message', 'error'], reasonPaths: ['error'] },
  },
});

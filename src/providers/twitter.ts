import { defineProvider } from './provider-schema.js';

// X (Twitter) API v2 OAuth 2.0 authorization code with PKCE (required). Confidential clients
// authenticate with Basic. Access tokens last two hours; offline.access asks for a refresh token,
// and each refresh issues a new one. Revocation is RFC 7009. Every answer carries
// x-rate-limit-limit/-remaining/-reset (Unix time); a spent limit is 429 (X's rate-limit page).
// The revoke request is RFC 7009: X's own TypeScript SDK (xdevplatform/twitter-api-typescript-sdk,
// src/OAuth2User.ts, revokeAccessToken) POSTs token, token_type_hint and client_id to
// /2/oauth2/revoke, with Basic client authentication for a confidential client; its code exchange
// and refresh name client_id beside Basic too. Whether X needs that client_id when Basic already
// names the client is undocumented (searched 2026-12-02: docs.x.com's stored OAuth 2.0 pages, the
// SDK, the issues corpus); the gateway sends it as X's client does (clientIdWithBasic), so it
// works whether or not X requires it. (The SDK passes these parameters in the URL's query; the gateway keeps them
// in the form body, as RFC 6749 and 7009 ask, so no token ever sits in a URL.)
// Whether revoking the refresh token also ends the access token is undocumented too; the gateway
// revokes both, the refresh token first, so neither stays usable either way.
export default defineProvider({
  name: 'TWITTER',
  key: 'twitter',
  displayName: 'X (Twitter)',
  categories: ['Social'],
  authModes: ['OAUTH2'],
  docs: {
    authorization: 'https://docs.x.com/resources/fundamentals/authentication/oauth-2-0/user-access-token',
    token: 'https://docs.x.com/resources/fundamentals/authentication/oauth-2-0/user-access-token',
    scopes: 'https://docs.x.com/resources/fundamentals/authentication/oauth-2-0/authorization-code#scopes',
    refresh: 'https://docs.x.com/resources/fundamentals/authentication/oauth-2-0/user-access-token',
    revocation: 'https://docs.x.com/resources/fundamentals/authentication/oauth-2-0/user-access-token',
    identity: 'https://docs.x.com/x-api/users/user-lookup-me',
    api: 'https://docs.x.com/x-api/introduction',
    rateLimits: 'https://docs.x.com/x-api/fundamentals/rate-limits',
    errors: 'https://docs.x.com/x-api/fundamentals/response-codes-and-errors',
  },
  oauth: {
    issuer: 'https://x.com',
    endpoints: {
      authorization: 'https://x.com/i/oauth2/authorize',
      token: 'https://api.x.com/2/oauth2/token',
      revocation: 'https://api.x.com/2/oauth2/revoke',
    },
    appRegistrationUrl: 'https://developer.x.com/en/portal/dashboard',
    scopeSeparator: ' ',
    clientAuthMethod: 'client_secret_basic',
    pkce: true,
    supportsRefresh: true,
    revocation: 'rfc7009',
    identity: { from: 'api', path: '/2/users/me', idPath: 'data.id', namePath: 'data.username' },
    quirks: { refreshTokenRotates: true, clientIdWithBasic: true },
    scopes: [
      {
        scope: 'offline.access',
        title: 'Stay connected',
        description: 'Receive a refresh token.',
        category: 'Account',
        isRequired: true,
      },
      {
        scope: 'users.read',
        title: 'Read users',
        description: 'Read any account the user can see, including their own.',
        category: 'Users',
        isDefault: true,
      },
      {
        scope: 'tweet.read',
        title: 'Read posts',
        description: 'Read posts the user can see.',
        category: 'Posts',
        isDefault: true,
      },
      {
        scope: 'tweet.write',
        title: 'Post',
        description: 'Post and repost for the user.',
        category: 'Posts',
      },
      {
        scope: 'like.read',
        title: 'Read likes',
        description: 'Read posts the user liked.',
        category: 'Likes',
      },
      { scope: 'like.write', title: 'Like', description: 'Like and unlike posts.', category: 'Likes' },
      {
        scope: 'follows.read',
        title: 'Read follows',
        description: 'Read who the user follows and who follows them.',
        category: 'Follows',
      },
      {
        scope: 'follows.write',
        title: 'Follow',
        description: 'Follow and unfollow accounts.',
        category: 'Follows',
      },
      {
        scope: 'bookmark.read',
        title: 'Read bookmarks',
        description: 'Read the user’s bookmarks.',
        category: 'Bookmarks',
      },
      {
        scope: 'dm.read',
        title: 'Read direct messages',
        description: 'Read the user’s direct messages.',
        category: 'Direct messages',
      },
    ],
  },
  api: {
    baseUrl: 'https://api.x.com',
    rateLimits: {
      statuses: [429],
      retryAfter: false,
      headers: { limit: 'x-rate-limit-limit', remaining: 'x-rate-limit-remaining', reset: 'x-rate-limit-reset' },
      resetUnit: 'epoch-seconds',
    },
    errors: { messagePaths: ['detail', 'title', 'errors.0.message'], reasonPaths: ['type'] },
  },
});

import { defineProvider } from './provider-schema.js';

// Twitch authorization code grant. Client id and secret go in the form body; access tokens last
// about four hours and the refresh answer may carry a new refresh token. Granted scopes come back
// as a JSON array (the gateway reads arrays as well as strings); revocation takes client_id and the
// token, without the secret. Helix API calls need a Client-Id header with the app’s client id.
// Rate limits are a token bucket reported in Ratelimit-Limit, Ratelimit-Remaining and
// Ratelimit-Reset (a Unix epoch time) (the API guide).
// The revoke page names only the access token, and a token it does not take answers 400
// {"status","message"}: sign-out revokes the access token alone (revokesAccessTokensOnly).
// unverified: whether revoking the access token ends its refresh token. Twitch documents neither way
// (the revoke, refresh-tokens, validate-tokens and authentication pages, as stored with their .md
// copies), and a report on Twitch's own tracker says it does not: with a public client, an app
// whose user access token was revoked then refreshed with its refresh token (twitchdev/issues#943,
// 2024-04, open). So after sign-out the gateway has forgotten a refresh token that Twitch may still
// honour until the user disconnects the app; no generic behaviour can end it, since the revoke page
// takes access tokens only, and a token it does not take is answered 400 {"status", "message":
// "Invalid token"}.
// Also undocumented: that the endpoint ignores the client_secret the gateway's RFC 7009 request
// adds to the client_id and token the page lists (searched 2026-12-02: docs and issues corpora).
export default defineProvider({
  name: 'TWITCH',
  key: 'twitch',
  displayName: 'Twitch',
  categories: ['Media'],
  authModes: ['OAUTH2'],
  docs: {
    authorization: 'https://dev.twitch.tv/docs/authentication/getting-tokens-oauth/#authorization-code-grant-flow',
    token: 'https://dev.twitch.tv/docs/authentication/getting-tokens-oauth/#use-the-authorization-code-to-get-a-token',
    scopes: 'https://dev.twitch.tv/docs/authentication/scopes/',
    refresh: 'https://dev.twitch.tv/docs/authentication/refresh-tokens/',
    revocation: 'https://dev.twitch.tv/docs/authentication/revoke-tokens/',
    identity: 'https://dev.twitch.tv/docs/authentication/getting-tokens-oauth/#use-the-authorization-code-to-get-a-token',
    api: 'https://dev.twitch.tv/docs/api/',
    rateLimits: 'https://dev.twitch.tv/docs/api/guide/#twitch-rate-limits',
    errors: 'https://dev.twitch.tv/docs/api/guide/#errors',
  },
  oauth: {
    issuer: 'https://id.twitch.tv/oauth2',
    endpoints: {
      authorization: 'https://id.twitch.tv/oauth2/authorize',
      token: 'https://id.twitch.tv/oauth2/token',
      revocation: 'https://id.twitch.tv/oauth2/revoke',
    },
    appRegistrationUrl: 'https://dev.twitch.tv/console/apps',
    scopeSeparator: ' ',
    clientAuthMethod: 'client_secret_post',
    pkce: false,
    supportsRefresh: true,
    revocation: 'rfc7009',
    identity: { from: 'none' },
    quirks: { refreshTokenRotates: true, revokesAccessTokensOnly: true },
    scopes: [
      {
        scope: 'user:read:email',
        title: 'Email',
        description: 'Read the user’s email address.',
        category: 'User',
        isDefault: true,
      },
      {
        scope: 'user:read:follows',
        title: 'Follows',
        description: 'Read the channels the user follows.',
        category: 'User',
      },
      {
        scope: 'user:read:subscriptions',
        title: 'Subscriptions',
        description: 'Read the channels the user subscribes to.',
        category: 'User',
      },
      {
        scope: 'channel:read:subscriptions',
        title: 'Channel subscribers',
        description: 'Read the channel’s subscribers.',
        category: 'Channel',
      },
      {
        scope: 'channel:manage:broadcast',
        title: 'Manage broadcast',
        description: 'Change the channel’s title, game and tags.',
        category: 'Channel',
      },
      {
        scope: 'moderator:read:followers',
        title: 'Read followers',
        description: 'Read the followers of channels the user moderates.',
        category: 'Moderation',
      },
      { scope: 'chat:read', title: 'Read chat', description: 'Read chat messages.', category: 'Chat' },
      { scope: 'chat:edit', title: 'Send chat', description: 'Send chat messages.', category: 'Chat' },
      {
        scope: 'clips:edit',
        title: 'Create clips',
        description: 'Create clips on the user’s behalf.',
        category: 'Clips',
      },
    ],
  },
  api: {
    baseUrl: 'https://api.twitch.tv/helix',
    rateLimits: {
      statuses: [429],
      retryAfter: false,
      headers: { limit: 'Ratelimit-Limit', remaining: 'Ratelimit-Remaining', reset: 'Ratelimit-Reset' },
      resetUnit: 'epoch-seconds',
    },
    errors: { messagePaths: ['message'], reasonPaths: ['error'] },
  },
});

import { defineProvider } from './provider-schema.js';

// Spotify has no revocation endpoint: a user removes an app at spotify.com/account/apps, so signing
// out can only forget the tokens.
export default defineProvider({
  name: 'SPOTIFY',
  key: 'spotify',
  displayName: 'Spotify',
  categories: ['Music'],
  authModes: ['OAUTH2', 'CLIENT_CREDENTIALS'],
  docs: {
    authorization: 'https://developer.spotify.com/documentation/web-api/tutorials/code-pkce-flow',
    token: 'https://developer.spotify.com/documentation/web-api/tutorials/code-flow',
    scopes: 'https://developer.spotify.com/documentation/web-api/concepts/scopes',
    refresh: 'https://developer.spotify.com/documentation/web-api/tutorials/refreshing-tokens',
    clientCredentials: 'https://developer.spotify.com/documentation/web-api/tutorials/client-credentials-flow',
    identity: 'https://developer.spotify.com/documentation/web-api/reference/get-current-users-profile',
    api: 'https://developer.spotify.com/documentation/web-api/concepts/api-calls',
    rateLimits: 'https://developer.spotify.com/documentation/web-api/concepts/rate-limits',
    errors: 'https://developer.spotify.com/documentation/web-api/concepts/api-calls#response-status-codes',
    pagination: 'https://developer.spotify.com/documentation/web-api/reference/get-a-list-of-current-users-playlists',
  },
  oauth: {
    issuer: 'https://accounts.spotify.com',
    endpoints: {
      authorization: 'https://accounts.spotify.com/authorize',
      token: 'https://accounts.spotify.com/api/token',
    },
    appRegistrationUrl: 'https://developer.spotify.com/dashboard',
    scopeSeparator: ' ',
    clientAuthMethod: 'client_secret_basic',
    pkce: true,
    supportsRefresh: true,
    // Client credentials: Basic client authentication, no scopes, a one-hour token and no refresh
    // token. The token acts for the app, not a user, so it reaches only endpoints without user data.
    clientCredentials: { noIdentity: true },
    identity: {
      from: 'api',
      path: '/v1/me',
      // `id` is on every profile and is what OneGraph reported. Spotify now also returns an immutable
      // `account_id` and recommends it for account linking; switch once every profile carries it.
      idPath: 'id',
      namePath: 'display_name',
    },
    quirks: {
      // Access tokens last 3600 s. A refresh answer usually leaves out refresh_token (keep the old
      // one); for PKCE clients it carries a new one that replaces the old. Refresh tokens of apps
      // registered in the Developer Dashboard last six months from the user's consent, and
      // refreshing does not extend that: the user must connect again (docs.refresh).
      refreshTokenMayBeOmitted: true,
      refreshTokenRotates: true,
    },
    scopes: [
      {
        scope: 'user-read-private',
        title: 'Subscription details',
        description: 'Read the user’s subscription level, country and explicit-content settings.',
        category: 'Users',
        isDefault: true,
      },
      {
        scope: 'user-read-email',
        title: 'Email address',
        description: 'Read the email address the user registered with.',
        category: 'Users',
        isDefault: true,
      },
      {
        scope: 'ugc-image-upload',
        title: 'Upload images',
        description: 'Upload playlist cover images on the user’s behalf.',
        category: 'Images',
      },
      {
        scope: 'user-read-playback-state',
        title: 'Read playback state',
        description: 'Read the user’s current playback and Spotify Connect devices.',
        category: 'Spotify Connect',
      },
      {
        scope: 'user-modify-playback-state',
        title: 'Control playback',
        description: 'Play, pause, skip and otherwise control playback on the user’s devices.',
        category: 'Spotify Connect',
      },
      {
        scope: 'user-read-currently-playing',
        title: 'Currently playing',
        description: 'Read the content the user is currently playing.',
        category: 'Spotify Connect',
      },
      {
        scope: 'app-remote-control',
        title: 'App remote control',
        description: 'Remote-control playback in the Spotify iOS and Android apps.',
        category: 'Playback',
      },
      {
        scope: 'streaming',
        title: 'Streaming',
        description: 'Play content through the Web Playback SDK (Premium accounts only).',
        category: 'Playback',
      },
      {
        scope: 'playlist-read-private',
        title: 'Private playlists',
        description: 'Read the user’s private playlists.',
        category: 'Playlists',
      },
      {
        scope: 'playlist-read-collaborative',
        title: 'Collaborative playlists',
        description: 'Include collaborative playlists when listing the user’s playlists.',
        category: 'Playlists',
      },
      {
        scope: 'playlist-modify-private',
        title: 'Edit private playlists',
        description: 'Create and change the user’s private playlists.',
        category: 'Playlists',
      },
      {
        scope: 'playlist-modify-public',
        title: 'Edit public playlists',
        description: 'Create and change the user’s public playlists.',
        category: 'Playlists',
      },
      {
        scope: 'user-follow-read',
        title: 'Read follows',
        description: 'Read the artists and users the user follows.',
        category: 'Follow',
      },
      {
        scope: 'user-follow-modify',
        title: 'Change follows',
        description: 'Follow and unfollow artists and users.',
        category: 'Follow',
      },
      {
        scope: 'user-read-playback-position',
        title: 'Playback position',
        description: 'Read the user’s position in episodes and audiobooks.',
        category: 'Listening History',
      },
      {
        scope: 'user-top-read',
        title: 'Top artists and tracks',
        description: 'Read the user’s top artists and tracks.',
        category: 'Listening History',
      },
      {
        scope: 'user-read-recently-played',
        title: 'Recently played',
        description: 'Read the tracks the user played recently.',
        category: 'Listening History',
      },
      {
        scope: 'user-library-read',
        title: 'Read library',
        description: 'Read the user’s saved tracks, albums, episodes and audiobooks.',
        category: 'Library',
      },
      {
        scope: 'user-library-modify',
        title: 'Change library',
        description: 'Save and remove tracks, albums, episodes and audiobooks in the user’s library.',
        category: 'Library',
      },
    ],
  },
  api: {
    baseUrl: 'https://api.spotify.com',
    defaultHeaders: { accept: 'application/json' },
    // No quota headers; 429 with Retry-After when the rolling 30-second window is exceeded.
    rateLimits: { statuses: [429], retryAfter: true, defaultWaitSeconds: 60 },
    // {"error": {"status", "message", "reason"}}; the token endpoint's {error, error_description} also reaches here.
    errors: { messagePaths: ['error.message', 'error_description', 'error'], reasonPaths: ['error.reason'] },
    pagination: { style: 'next-url', nextUrlPath: 'next' },
    bodyEncoding: 'json',
  },
});

import { defineProvider } from './provider-schema.js';

// Strava OAuth. Scopes are comma-separated and the token answer does not repeat them (the redirect
// carries what the athlete accepted). Access tokens last six hours; a refresh may return a new
// refresh token, which replaces the old. Deauthorization is POST /oauth/deauthorize with the access
// token, which ends every token of that athlete and application. Strava documents the token as an
// access_token parameter (the authentication page's Deauthorization section, docs.revocation, and
// the older strava.github.io/api/v3/oauth page as copied in javastrava's javadoc); its client
// libraries send the bearer header alone (strava-ruby-client; the Haskell strive package posts
// oauth/deauthorize with an empty query on an authenticated client). Which of the two the endpoint
// reads is undocumented by Strava (searched 2026-12-02: docs and pages corpora; the stored copies of
// developers.strava.com/docs/authentication end before that section), so the gateway sends both:
// the token as Bearer and as the access_token form field (bearer-and-access-token-field).
export default defineProvider({
  name: 'STRAVA',
  key: 'strava',
  displayName: 'Strava',
  categories: ['Health & fitness'],
  authModes: ['OAUTH2'],
  docs: {
    authorization: 'https://developers.strava.com/docs/authentication/#requestingaccess',
    token: 'https://developers.strava.com/docs/authentication/#tokenexchange',
    scopes: 'https://developers.strava.com/docs/authentication/#detailsaboutrequestingaccess',
    refresh: 'https://developers.strava.com/docs/authentication/#refreshingexpiredaccesstokens',
    revocation: 'https://developers.strava.com/docs/authentication/#deauthorization',
    identity: 'https://developers.strava.com/docs/reference/#api-Athletes-getLoggedInAthlete',
    api: 'https://developers.strava.com/docs/reference/',
    rateLimits: 'https://developers.strava.com/docs/rate-limits/',
    errors: 'https://developers.strava.com/docs/#errors',
  },
  oauth: {
    issuer: 'https://www.strava.com',
    endpoints: {
      authorization: 'https://www.strava.com/oauth/authorize',
      token: 'https://www.strava.com/oauth/token',
      revocation: 'https://www.strava.com/oauth/deauthorize',
    },
    appRegistrationUrl: 'https://www.strava.com/settings/api',
    scopeSeparator: ',',
    clientAuthMethod: 'client_secret_post',
    pkce: false,
    supportsRefresh: true,
    revocation: 'bearer-and-access-token-field',
    identity: { from: 'api', path: '/athlete', idPath: 'id', namePath: 'username' },
    quirks: { scopeAbsentMeansRequested: true, refreshTokenRotates: true },
    scopes: [
      {
        scope: 'read',
        title: 'Public data',
        description: 'Read public segments, routes, profile data, posts, events, club feeds and leaderboards.',
        category: 'Profile',
        isDefault: true,
      },
      {
        scope: 'read_all',
        title: 'Private data',
        description: 'Read private routes, segments and events.',
        category: 'Profile',
      },
      {
        scope: 'profile:read_all',
        title: 'Full profile',
        description: 'Read all profile information even if private.',
        category: 'Profile',
      },
      {
        scope: 'profile:write',
        title: 'Edit profile',
        description: 'Update weight and FTP, star segments.',
        category: 'Profile',
      },
      {
        scope: 'activity:read',
        title: 'Read activities',
        description: 'Read activities visible to Everyone and Followers.',
        category: 'Activities',
        isDefault: true,
      },
      {
        scope: 'activity:read_all',
        title: 'Read all activities',
        description: 'Read all activities, including Only You activities.',
        category: 'Activities',
      },
      {
        scope: 'activity:write',
        title: 'Write activities',
        description: 'Create manual activities and uploads, edit activities.',
        category: 'Activities',
      },
    ],
  },
  api: {
    baseUrl: 'https://www.strava.com/api/v3',
    rateLimits: {
      statuses: [429],
      retryAfter: false,
      headers: { limit: 'X-RateLimit-Limit', used: 'X-RateLimit-Usage' },
      defaultWaitSeconds: 900,
    },
    errors: { messagePaths: ['message'], reasonPaths: ['errors.0.code'] },
  },
});

import { defineProvider } from './provider-schema.js';

// Fitbit Web API authorization code grant with PKCE. Basic client authentication; access tokens
// last eight hours and refresh tokens are single-use. The token answer names the user (user_id).
// Revocation is RFC 7009. Rate limits (150 requests an hour per user) are reported in
// Fitbit-Rate-Limit-Limit, -Remaining and -Reset (seconds to the top of the hour).
// Google retired the Fitbit Web API: support ended 2026-09-30 and the API was turned off on
// 2026-10-30 in favour of the Google Health API (https://developers.google.com/health/rate-limits,
// its migration notice). The entry stays for existing configurations; new connections will fail.
export default defineProvider({
  name: 'FITBIT',
  key: 'fitbit',
  displayName: 'Fitbit',
  categories: ['Health & fitness'],
  authModes: ['OAUTH2'],
  docs: {
    authorization: 'https://dev.fitbit.com/build/reference/web-api/authorization/authorize/',
    token: 'https://dev.fitbit.com/build/reference/web-api/authorization/oauth2-token/',
    scopes: 'https://dev.fitbit.com/build/reference/web-api/developer-guide/application-design/#Scopes',
    refresh: 'https://dev.fitbit.com/build/reference/web-api/authorization/refresh-token/',
    revocation: 'https://dev.fitbit.com/build/reference/web-api/authorization/revoke-token/',
    identity: 'https://dev.fitbit.com/build/reference/web-api/authorization/oauth2-token/',
    api: 'https://dev.fitbit.com/build/reference/web-api/',
    rateLimits: 'https://dev.fitbit.com/build/reference/web-api/developer-guide/application-design/#Rate-Limits',
    errors: 'https://dev.fitbit.com/build/reference/web-api/troubleshooting-guide/error-messages/',
  },
  oauth: {
    issuer: 'https://www.fitbit.com',
    endpoints: {
      authorization: 'https://www.fitbit.com/oauth2/authorize',
      token: 'https://api.fitbit.com/oauth2/token',
      revocation: 'https://api.fitbit.com/oauth2/revoke',
    },
    appRegistrationUrl: 'https://dev.fitbit.com/apps/new',
    scopeSeparator: ' ',
    clientAuthMethod: 'client_secret_basic',
    pkce: true,
    supportsRefresh: true,
    revocation: 'rfc7009',
    identity: { from: 'token-response', idField: 'user_id' },
    quirks: { refreshTokenRotates: true, keepFields: ['user_id'] },
    scopes: [
      {
        scope: 'profile',
        title: 'Profile',
        description: 'Read the user’s profile.',
        category: 'Profile',
        isDefault: true,
      },
      {
        scope: 'activity',
        title: 'Activity',
        description: 'Read activity: steps, distance, calories, active minutes.',
        category: 'Health',
        isDefault: true,
      },
      {
        scope: 'heartrate',
        title: 'Heart rate',
        description: 'Read heart rate data.',
        category: 'Health',
      },
      { scope: 'sleep', title: 'Sleep', description: 'Read sleep logs.', category: 'Health' },
      { scope: 'weight', title: 'Weight', description: 'Read weight and body fat.', category: 'Health' },
      {
        scope: 'nutrition',
        title: 'Nutrition',
        description: 'Read food and water logs.',
        category: 'Health',
      },
      {
        scope: 'location',
        title: 'Location',
        description: 'Read GPS data of activities.',
        category: 'Health',
      },
      {
        scope: 'oxygen_saturation',
        title: 'SpO2',
        description: 'Read blood oxygen saturation.',
        category: 'Health',
      },
      {
        scope: 'settings',
        title: 'Settings',
        description: 'Read device settings and alarms.',
        category: 'Devices',
      },
      {
        scope: 'social',
        title: 'Friends',
        description: 'Read friends and leaderboards.',
        category: 'Social',
      },
    ],
  },
  api: {
    baseUrl: 'https://api.fitbit.com',
    rateLimits: {
      statuses: [429],
      retryAfter: false,
      headers: {
        limit: 'Fitbit-Rate-Limit-Limit',
        remaining: 'Fitbit-Rate-Limit-Remaining',
        reset: 'Fitbit-Rate-Limit-Reset',
      },
      resetUnit: 'delta-seconds',
    },
    errors: { messagePaths: ['errors.0.message'], reasonPaths: ['errors.0.errorType'] },
  },
});

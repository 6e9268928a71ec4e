import { defineProvider } from './provider-schema.js';

// Zoom user-managed OAuth apps. Basic client authentication; access tokens last one hour and every
// refresh issues a new refresh token: only the latest one works ("Invalid Token!" for an older one).
// Revocation is POST /oauth/revoke with Basic client authentication and the token in a form.
// Rate-limited answers are 429 with X-RateLimit-Limit/-Remaining; for daily limits Retry-After holds
// an ISO 8601 time rather than seconds (parsed as a date like an HTTP date).
// PKCE with a confidential client: Zoom's own Zoom Apps sample (github.com/zoom/zoomapps-sample-js,
// server/helpers/zoom-api.js) sends code_challenge with S256 to /oauth/authorize and
// code_verifier to /oauth/token together with Basic client_id:client_secret; Zoom's PKCE page
// (developers.zoom.us/docs/integrations/PKCE/) describes the public-client variant, whose
// separate public client ID has no secret.
export default defineProvider({
  name: 'ZOOM',
  key: 'zoom',
  displayName: 'Zoom',
  categories: ['Communication'],
  authModes: ['OAUTH2'],
  docs: {
    authorization: 'https://developers.zoom.us/docs/integrations/oauth/#step-1-request-user-authorization',
    token: 'https://developers.zoom.us/docs/integrations/oauth/#step-2-request-access-token',
    scopes: 'https://developers.zoom.us/docs/integrations/oauth-scopes-overview/',
    refresh: 'https://devsupport.zoom.us/hc/en-us/articles/360060332931-Extending-the-expiration-for-an-OAuth-access-token',
    revocation: 'https://developers.zoom.us/docs/integrations/oauth/#revoking-an-access-token',
    identity: 'https://developers.zoom.us/docs/api/users/#tag/users/GET/users/{userId}',
    api: 'https://developers.zoom.us/docs/api/',
    rateLimits: 'https://developers.zoom.us/docs/api/rest/rate-limits/',
    errors: 'https://developers.zoom.us/docs/api/rest/errors/',
  },
  oauth: {
    issuer: 'https://zoom.us',
    endpoints: {
      authorization: 'https://zoom.us/oauth/authorize',
      token: 'https://zoom.us/oauth/token',
      revocation: 'https://zoom.us/oauth/revoke',
    },
    appRegistrationUrl: 'https://marketplace.zoom.us/develop/create',
    scopeSeparator: ' ',
    clientAuthMethod: 'client_secret_basic',
    pkce: true,
    supportsRefresh: true,
    revocation: 'rfc7009',
    identity: { from: 'api', path: '/users/me', idPath: 'id', namePath: 'display_name' },
    quirks: { refreshTokenRotates: true },
    scopes: [
      {
        scope: 'user:read:user',
        title: 'Read profile',
        description: 'View the user’s profile.',
        category: 'Users',
        isDefault: true,
      },
      {
        scope: 'meeting:read:list_meetings',
        title: 'List meetings',
        description: 'View the user’s meetings.',
        category: 'Meetings',
        isDefault: true,
      },
      {
        scope: 'meeting:write:meeting',
        title: 'Create meetings',
        description: 'Create meetings for the user.',
        category: 'Meetings',
      },
      {
        scope: 'meeting:update:meeting',
        title: 'Update meetings',
        description: 'Change the user’s meetings.',
        category: 'Meetings',
      },
      {
        scope: 'meeting:delete:meeting',
        title: 'Delete meetings',
        description: 'Delete the user’s meetings.',
        category: 'Meetings',
      },
      {
        scope: 'cloud_recording:read:list_user_recordings',
        title: 'List recordings',
        description: 'View the user’s cloud recordings.',
        category: 'Recordings',
      },
      {
        scope: 'webinar:read:list_webinars',
        title: 'List webinars',
        description: 'View the user’s webinars.',
        category: 'Webinars',
      },
    ],
  },
  api: {
    baseUrl: 'https://api.zoom.us/v2',
    rateLimits: {
      statuses: [429],
      retryAfter: true,
      headers: { limit: 'X-RateLimit-Limit', remaining: 'X-RateLimit-Remaining' },
    },
    errors: { messagePaths: ['message'], reasonPaths: ['code'] },
  },
});

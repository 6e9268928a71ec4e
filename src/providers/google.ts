import { defineProvider } from './provider-schema.js';

// Google APIs (Gmail, Calendar, Drive, Sheets, YouTube) through one OAuth client.
// access_type=offline and prompt=consent make Google return a refresh token on every consent;
// refresh answers leave it out and the old one stays valid. Revocation takes the token alone (a
// refresh token's revocation also ends its access tokens). Gmail answers a spent quota with 403 or
// 429 and no Retry-After; Google asks for exponential backoff.
// PKCE: Google's discovery document (accounts.google.com/.well-known/openid-configuration) lists
// code_challenge_methods_supported ["plain", "S256"] for the one authorization endpoint every client
// type uses, and Google's own Python flow (googleapis/google-auth-library-python-oauthlib,
// google_auth_oauthlib/flow.py) sends code_challenge for "web" clients and code_verifier together
// with client_secret at the token endpoint; Google's .NET client documents code_verifier too.
// The web-server page's anchors are the ones Google's own pages link: #exchange-authorization-code
// (the Picker guide, developers.google.com/workspace/drive/picker/guides/desktop-mobile-picker),
// #offline and #tokenrevoke (the OAuth best-practices page,
// developers.google.com/identity/protocols/oauth2/resources/best-practices), and #creatingclient,
// "Step 1: Set authorization parameters" (Google's Classroom add-on sample READMEs).
export default defineProvider({
  name: 'GOOGLE',
  key: 'google',
  displayName: 'Google',
  categories: ['Productivity'],
  authModes: ['OAUTH2'],
  docs: {
    authorization: 'https://developers.google.com/identity/protocols/oauth2/web-server#creatingclient',
    token: 'https://developers.google.com/identity/protocols/oauth2/web-server#exchange-authorization-code',
    scopes: 'https://developers.google.com/identity/protocols/oauth2/scopes',
    refresh: 'https://developers.google.com/identity/protocols/oauth2/web-server#offline',
    revocation: 'https://developers.google.com/identity/protocols/oauth2/web-server#tokenrevoke',
    identity: 'https://developers.google.com/identity/openid-connect/openid-connect#obtainuserinfo',
    api: 'https://developers.google.com/workspace/guides/get-started',
    rateLimits: 'https://developers.google.com/workspace/gmail/api/reference/quota',
    errors: 'https://cloud.google.com/apis/design/errors#http_mapping',
  },
  oauth: {
    issuer: 'https://accounts.google.com',
    endpoints: {
      authorization: 'https://accounts.google.com/o/oauth2/v2/auth',
      token: 'https://oauth2.googleapis.com/token',
      revocation: 'https://oauth2.googleapis.com/revoke',
    },
    appRegistrationUrl: 'https://console.cloud.google.com/apis/credentials',
    scopeSeparator: ' ',
    clientAuthMethod: 'client_secret_post',
    pkce: true,
    supportsRefresh: true,
    revocation: 'rfc7009',
    authorizationParams: { access_type: 'offline', prompt: 'consent', include_granted_scopes: 'true' },
    identity: { from: 'api', path: '/oauth2/v3/userinfo', idPath: 'sub', namePath: 'email' },
    quirks: { refreshTokenMayBeOmitted: true },
    scopes: [
      {
        scope: 'openid',
        title: 'Sign in',
        description: 'Identify the Google account that connected.',
        category: 'Account',
        isRequired: true,
      },
      {
        scope: 'email',
        title: 'Email address',
        description: 'Read the account’s primary email address.',
        category: 'Account',
        isDefault: true,
      },
      {
        scope: 'profile',
        title: 'Basic profile',
        description: 'Read the account’s name and picture.',
        category: 'Account',
        isDefault: true,
      },
      {
        scope: 'https://www.googleapis.com/auth/gmail.readonly',
        title: 'Read Gmail',
        description: 'Read email messages, threads, labels and settings.',
        category: 'Gmail',
      },
      {
        scope: 'https://www.googleapis.com/auth/gmail.send',
        title: 'Send email',
        description: 'Send email on the user’s behalf (no read access).',
        category: 'Gmail',
      },
      {
        scope: 'https://www.googleapis.com/auth/gmail.modify',
        title: 'Manage Gmail',
        description: 'Read, compose, send and label email (not permanent deletion).',
        category: 'Gmail',
      },
      {
        scope: 'https://www.googleapis.com/auth/gmail.compose',
        title: 'Draft email',
        description: 'Create, read and send drafts.',
        category: 'Gmail',
      },
      {
        scope: 'https://www.googleapis.com/auth/calendar.readonly',
        title: 'Read calendars',
        description: 'See events on all the user’s calendars.',
        category: 'Calendar',
      },
      {
        scope: 'https://www.googleapis.com/auth/calendar.events',
        title: 'Edit events',
        description: 'View and edit events on all calendars.',
        category: 'Calendar',
      },
      {
        scope: 'https://www.googleapis.com/auth/calendar',
        title: 'Manage calendars',
        description: 'Full access to calendars: create, share and delete them.',
        category: 'Calendar',
      },
      {
        scope: 'https://www.googleapis.com/auth/drive.file',
        title: 'Files this app uses',
        description: 'See and edit only the Drive files the user opens or creates with this app.',
        category: 'Drive',
      },
      {
        scope: 'https://www.googleapis.com/auth/drive.readonly',
        title: 'Read Drive',
        description: 'See and download all Drive files.',
        category: 'Drive',
      },
      {
        scope: 'https://www.googleapis.com/auth/drive',
        title: 'Manage Drive',
        description: 'See, edit, create and delete all Drive files.',
        category: 'Drive',
      },
      {
        scope: 'https://www.googleapis.com/auth/spreadsheets.readonly',
        title: 'Read spreadsheets',
        description: 'See all Google Sheets spreadsheets.',
        category: 'Sheets',
      },
      {
        scope: 'https://www.googleapis.com/auth/spreadsheets',
        title: 'Edit spreadsheets',
        description: 'See, edit, create and delete all Google Sheets spreadsheets.',
        category: 'Sheets',
      },
      {
        scope: 'https://www.googleapis.com/auth/youtube.readonly',
        title: 'Read YouTube',
        description: 'View the YouTube account, its channels and playlists.',
        category: 'YouTube',
      },
      {
        scope: 'https://www.googleapis.com/auth/youtube',
        title: 'Manage YouTube',
        description: 'Manage the YouTube account: playlists, subscriptions, comments.',
        category: 'YouTube',
      },
      {
        scope: 'https://www.googleapis.com/auth/youtube.upload',
        title: 'Upload videos',
        description: 'Upload videos and manage them.',
        category: 'YouTube',
      },
    ],
  },
  api: {
    baseUrl: 'https://www.googleapis.com',
    rateLimits: { statuses: [429, 403], retryAfter: false, defaultWaitSeconds: 60 },
    errors: {
      messagePaths: ['error.message', 'error_description'],
      reasonPaths: ['error.status', 'error.errors.0.reason'],
    },
  },
});

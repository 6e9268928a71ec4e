import { defineProvider } from './provider-schema.js';

// Figma OAuth 2. Basic client authentication. The token endpoint moved from
// www.figma.com/api/oauth/token to api.figma.com/v1/oauth/token in February 2025 (the old one was
// sunset). Refresh tokens are spent at a separate endpoint, POST api.figma.com/v1/oauth/refresh,
// whose answer carries a new access token and no new refresh token (the old one keeps working).
// unverified: PKCE support and the scope separator. No Figma source states either: the stored
// copies of the authentication page are readable only at their opening, and Figma's OpenAPI
// description (figma/rest-api-spec, openapi.yaml, 2026-03) gives the authorization, token and
// refresh URLs and the scopes but neither (searched 2026-12-02: docs, pages and issues corpora,
// figma/* repositories). Integrations written against Figma: Nango's list has scope_separator ','
// and disable_pkce since its Figma entry was added in 2023 (no reason given), Arctic's Figma
// provider joins scopes with spaces and sends no PKCE either. Safe defaults, then: no PKCE, as
// every integration found omits it (a server that needed it would refuse them all, while
// one that rejects unknown parameters would refuse ours), and the RFC 6749 space separator, which
// Arctic sends; the granted scope is read split on spaces or commas alike.
export default defineProvider({
  name: 'FIGMA',
  key: 'figma',
  displayName: 'Figma',
  categories: ['Design & CMS'],
  authModes: ['OAUTH2'],
  docs: {
    authorization: 'https://developers.figma.com/docs/rest-api/authentication/#oauth-apps',
    token: 'https://developers.figma.com/docs/rest-api/authentication/#oauth-apps',
    refresh: 'https://developers.figma.com/docs/rest-api/authentication/',
    scopes: 'https://developers.figma.com/docs/rest-api/scopes/',
    identity: 'https://developers.figma.com/docs/rest-api/users-endpoints/',
    api: 'https://developers.figma.com/docs/rest-api/',
    rateLimits: 'https://developers.figma.com/docs/rest-api/rate-limits/',
    errors: 'https://developers.figma.com/docs/rest-api/errors/',
  },
  oauth: {
    issuer: 'https://www.figma.com',
    endpoints: {
      authorization: 'https://www.figma.com/oauth',
      token: 'https://api.figma.com/v1/oauth/token',
      refresh: 'https://api.figma.com/v1/oauth/refresh',
    },
    appRegistrationUrl: 'https://www.figma.com/developers/apps',
    scopeSeparator: ' ',
    clientAuthMethod: 'client_secret_basic',
    pkce: false,
    supportsRefresh: true,
    quirks: { refreshTokenMayBeOmitted: true },
    identity: { from: 'api', path: '/v1/me', idPath: 'id', namePath: 'handle' },
    scopes: [
      {
        scope: 'current_user:read',
        title: 'Profile',
        description: 'Read the user’s name, email and profile image.',
        category: 'User',
        isDefault: true,
      },
      {
        scope: 'file_content:read',
        title: 'Read files',
        description: 'Read the contents of files: nodes and editor type.',
        category: 'Files',
        isDefault: true,
      },
      {
        scope: 'file_metadata:read',
        title: 'File metadata',
        description: 'Read file metadata.',
        category: 'Files',
      },
      {
        scope: 'file_versions:read',
        title: 'File versions',
        description: 'Read the version history of files.',
        category: 'Files',
      },
      {
        scope: 'file_comments:read',
        title: 'Read comments',
        description: 'Read comments in files.',
        category: 'Comments',
      },
      {
        scope: 'file_comments:write',
        title: 'Write comments',
        description: 'Post and delete comments and reactions.',
        category: 'Comments',
      },
      {
        scope: 'file_dev_resources:read',
        title: 'Read dev resources',
        description: 'Read dev resources in files.',
        category: 'Dev Mode',
      },
      {
        scope: 'projects:read',
        title: 'Projects',
        description: 'List projects and the files in them.',
        category: 'Projects',
      },
      {
        scope: 'webhooks:write',
        title: 'Webhooks',
        description: 'Create and manage webhooks.',
        category: 'Webhooks',
      },
    ],
  },
  api: {
    baseUrl: 'https://api.figma.com',
    rateLimits: { statuses: [429], retryAfter: true },
    errors: { messagePaths: ['err', 'message'], reasonPaths: ['status'] },
  },
});

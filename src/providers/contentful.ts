import { defineProvider } from './types.js';

// Contentful documents only the implicit grant (response_type=token), but its OAuth server also
// serves the authorization-code grant at /oauth/token for confidential applications, which is what
// a gateway needs. Its documentation is silent on refresh tokens (tokens last until revoked or the
// application's expiry date), PKCE and a revocation endpoint, so none of them is relied on here.
export default defineProvider({
  service: 'CONTENTFUL',
  friendlyServiceName: 'Contentful',
  graphQLField: 'contentful',
  issuer: 'https://be.contentful.com',
  endpoints: {
    authorization: 'https://be.contentful.com/oauth/authorize',
    token: 'https://be.contentful.com/oauth/token',
    api: 'https://api.contentful.com',
  },
  appRegistrationUrl: 'https://app.contentful.com/account/profile/developers/applications',
  scopeSeparator: ' ',
  clientAuthMethod: 'client_secret_post',
  pkce: false,
  supportsRefresh: false,
  identity: { from: 'api', path: '/users/me', idPath: 'sys.id', namePath: 'email' },
  quirks: {},
  // Contentful grants one of these per authorization; manage includes read.
  scopes: [
    {
      scope: 'content_management_read',
      title: 'Read content',
      description: 'Read spaces, content types, entries and assets through the Content Management API.',
      category: 'Content management',
      isDefault: true,
    },
    {
      scope: 'content_management_manage',
      title: 'Manage content',
      description: 'Read, create, change, publish and delete content through the Content Management API.',
      category: 'Content management',
    },
  ],
});

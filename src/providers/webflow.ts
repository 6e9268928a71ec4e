import { defineProvider } from './provider-schema.js';

// Webflow Data API apps (verified against the OAuth guide, developers.webflow.com/data/reference/oauth-app).
// Authorization codes are single-use and valid for 15 minutes; a reused or stale code, a
// redirect_uri missing from the token request, or wrong client credentials answer invalid_grant.
// The token request sends client_id, client_secret and code (client_secret_post); access tokens do
// not expire and there is no refresh token. Revocation (POST webflow.com/oauth/revoke_authorization)
// takes client_id, client_secret and access_token as a JSON object (the guide's example request
// sends Content-Type: application/json) and answers {"did_revoke": true}. Rate limits: 429 with
// Retry-After (typically 60 seconds), X-RateLimit-Limit and -Remaining per minute.
// Errors: {code, message, externalReference, details}.
export default defineProvider({
  name: 'WEBFLOW',
  key: 'webflow',
  displayName: 'Webflow',
  categories: ['Design & CMS'],
  authModes: ['OAUTH2'],
  docs: {
    authorization: 'https://developers.webflow.com/data/reference/oauth-app',
    token: 'https://developers.webflow.com/data/reference/oauth-app#4-request-an-access-token',
    scopes: 'https://developers.webflow.com/data/reference/scopes',
    revocation: 'https://developers.webflow.com/data/reference/oauth-app#revoke-an-access-token',
    identity: 'https://developers.webflow.com/data/reference/token/authorized-by',
    api: 'https://developers.webflow.com/data/reference/rest-introduction',
    errors: 'https://developers.webflow.com/data/v2.0.0/reference/error-handling',
    rateLimits: 'https://developers.webflow.com/data/reference/rate-limits',
  },
  oauth: {
    issuer: 'https://webflow.com',
    endpoints: {
      authorization: 'https://webflow.com/oauth/authorize',
      token: 'https://api.webflow.com/oauth/access_token',
      revocation: 'https://webflow.com/oauth/revoke_authorization',
    },
    appRegistrationUrl: 'https://webflow.com/dashboard',
    scopeSeparator: ' ',
    clientAuthMethod: 'client_secret_post',
    pkce: false,
    supportsRefresh: false,
    revocation: 'token-and-client-in-body',
    identity: { from: 'api', path: '/v2/token/authorized_by', idPath: 'id', namePath: 'email' },
    scopes: [
      {
        scope: 'authorized_user:read',
        title: 'Who authorized',
        description: 'Read the name and email of the user who authorized the app.',
        category: 'Account',
        isDefault: true,
      },
      {
        scope: 'sites:read',
        title: 'Read sites',
        description: 'Read sites, domains and publishing status.',
        category: 'Sites',
        isDefault: true,
      },
      {
        scope: 'sites:write',
        title: 'Manage sites',
        description: 'Publish sites and change site settings.',
        category: 'Sites',
      },
      {
        scope: 'cms:read',
        title: 'Read CMS',
        description: 'Read CMS collections and items.',
        category: 'CMS',
      },
      {
        scope: 'cms:write',
        title: 'Edit CMS',
        description: 'Create, update and delete CMS collections and items.',
        category: 'CMS',
      },
      {
        scope: 'pages:read',
        title: 'Read pages',
        description: 'Read pages and their content.',
        category: 'Pages',
      },
      {
        scope: 'pages:write',
        title: 'Edit pages',
        description: 'Update page settings and content.',
        category: 'Pages',
      },
      {
        scope: 'forms:read',
        title: 'Read forms',
        description: 'Read forms and their submissions.',
        category: 'Forms',
      },
      {
        scope: 'forms:write',
        title: 'Manage forms',
        description: 'Update and delete form submissions.',
        category: 'Forms',
      },
      {
        scope: 'assets:read',
        title: 'Read assets',
        description: 'Read assets and asset folders.',
        category: 'Assets',
      },
      {
        scope: 'assets:write',
        title: 'Upload assets',
        description: 'Upload and change assets.',
        category: 'Assets',
      },
      {
        scope: 'ecommerce:read',
        title: 'Read e-commerce',
        description: 'Read products, orders and inventory.',
        category: 'E-commerce',
      },
      {
        scope: 'ecommerce:write',
        title: 'Manage e-commerce',
        description: 'Create and update products, orders and inventory.',
        category: 'E-commerce',
      },
      {
        scope: 'users:read',
        title: 'Read site users',
        description: 'Read the site’s user accounts and access groups.',
        category: 'Users',
      },
      {
        scope: 'users:write',
        title: 'Manage site users',
        description: 'Invite, update and remove the site’s users.',
        category: 'Users',
      },
      {
        scope: 'custom_code:read',
        title: 'Read custom code',
        description: 'Read custom code registered on sites and pages.',
        category: 'Custom code',
      },
      {
        scope: 'custom_code:write',
        title: 'Manage custom code',
        description: 'Register and apply custom code.',
        category: 'Custom code',
      },
      {
        scope: 'site_activity:read',
        title: 'Read site activity',
        description: 'Read the site’s activity log.',
        category: 'Sites',
      },
      {
        scope: 'workspace:read',
        title: 'Read workspace',
        description: 'Read workspace details and audit logs.',
        category: 'Workspace',
      },
    ],
  },
  api: {
    baseUrl: 'https://api.webflow.com',
    rateLimits: {
      statuses: [429],
      retryAfter: true,
      headers: { limit: 'X-RateLimit-Limit', remaining: 'X-RateLimit-Remaining' },
    },
    errors: { messagePaths: ['message'], reasonPaths: ['code'] },
  },
});

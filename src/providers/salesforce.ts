import { defineProvider } from './provider-schema.js';

// Sandboxes use https://test.salesforce.com and My Domain logins their own host: set
// LATCHKEY_SALESFORCE_AUTHORIZATION_URL / _TOKEN_URL / _REVOCATION_URL for those.
export default defineProvider({
  name: 'SALESFORCE',
  key: 'salesforce',
  displayName: 'Salesforce',
  categories: ['CRM'],
  authModes: ['OAUTH2', 'CLIENT_CREDENTIALS'],
  docs: {
    authorization: 'https://help.salesforce.com/s/articleView?id=xcloud.remoteaccess_oauth_web_server_flow.htm&type=5',
    token: 'https://help.salesforce.com/s/articleView?id=xcloud.remoteaccess_oauth_web_server_flow.htm&type=5',
    scopes: 'https://help.salesforce.com/s/articleView?id=xcloud.remoteaccess_oauth_tokens_scopes.htm&type=5',
    refresh: 'https://help.salesforce.com/s/articleView?id=xcloud.remoteaccess_oauth_refresh_token_flow.htm&type=5',
    revocation: 'https://help.salesforce.com/s/articleView?id=xcloud.remoteaccess_revoke_token.htm&type=5',
    clientCredentials: 'https://help.salesforce.com/s/articleView?id=xcloud.remoteaccess_oauth_client_credentials_flow.htm&type=5',
    identity: 'https://help.salesforce.com/s/articleView?id=xcloud.remoteaccess_using_openid.htm&type=5',
    api: 'https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/intro_rest.htm',
    rateLimits: 'https://developer.salesforce.com/docs/atlas.en-us.salesforce_app_limits_cheatsheet.meta/salesforce_app_limits_cheatsheet/salesforce_app_limits_platform_api.htm',
    errors: 'https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm',
    pagination: 'https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_query.htm',
  },
  oauth: {
    issuer: 'https://login.salesforce.com',
    endpoints: {
      authorization: 'https://login.salesforce.com/services/oauth2/authorize',
      token: 'https://login.salesforce.com/services/oauth2/token',
      revocation: 'https://login.salesforce.com/services/oauth2/revoke',
    },
    appRegistrationUrl: 'https://login.salesforce.com/lightning/setup/NavigationMenus/home',
    scopeSeparator: ' ',
    clientAuthMethod: 'client_secret_post',
    pkce: true,
    supportsRefresh: true,
    // POST token=… to /services/oauth2/revoke; revoking the refresh token also ends its access tokens.
    revocation: 'rfc7009',
    // Client credentials: the connected app enables the flow and names a run-as user, whose identity
    // URL comes back as `id`. The answer has no refresh token, and the flow works only on the org's My
    // Domain host, never on the shared login hosts.
    clientCredentials: {
      refusedTokenHosts: {
        hosts: ['login.salesforce.com', 'test.salesforce.com'],
        hint: "set LATCHKEY_SALESFORCE_TOKEN_URL to the org's My Domain token endpoint (https://MyDomainName.my.salesforce.com/services/oauth2/token)",
      },
    },
    // The token response's `id` is the identity URL (https://login.salesforce.com/id/<org>/<user>).
    identity: { from: 'token-response-url', urlField: 'id', idPath: 'user_id', namePath: 'username' },
    quirks: {
      keepFields: ['instance_url', 'id'],
      apiBaseUrlField: 'instance_url',
      apiBaseUrlHosts: ['.salesforce.com', '.force.com', '.salesforce.mil'],
      // The answer has no expires_in: the session times out after the org's inactivity timeout
      // (15 min to 24 h, 2 h by default). Assume the shortest so a handed-out token is never stale.
      assumedLifetimeSeconds: 900,
      // A refresh answer has no refresh_token unless the connected app enables rotation.
      refreshTokenMayBeOmitted: true,
      refreshTokenRotates: true,
      // "If a refresh token is included, Salesforce revokes it and any associated access tokens"
      // (docs.revocation); an invalid token is answered 400 invalid_token.
      refreshRevocationEndsAccessTokens: true,
    },
    scopes: [
      {
        scope: 'refresh_token',
        title: 'Access at any time',
        description: 'Issue a refresh token so the connection keeps working while the user is offline.',
        category: 'Access',
        isRequired: true,
      },
      {
        scope: 'id',
        title: 'Identity',
        description: 'Read the user’s identity URL: user id, username, organization, email and photo.',
        category: 'Identity',
        isRequired: true,
      },
      {
        scope: 'api',
        title: 'API access',
        description: 'Read and change the user’s data through the REST, SOAP and Bulk APIs.',
        category: 'Data',
        isDefault: true,
      },
      {
        scope: 'offline_access',
        title: 'Access at any time (OpenID name)',
        description: 'Same as refresh_token: issue a refresh token for offline access.',
        category: 'Access',
      },
      {
        scope: 'full',
        title: 'Full access',
        description: 'Access all data the user can reach; includes every other scope.',
        category: 'Data',
      },
      {
        scope: 'chatter_api',
        title: 'Connect REST API',
        description: 'Access Connect REST API (Chatter) resources on the user’s behalf.',
        category: 'Data',
      },
      {
        scope: 'web',
        title: 'Web access',
        description: 'Use the access token to sign in to the Salesforce web interface.',
        category: 'Access',
      },
      {
        scope: 'visualforce',
        title: 'Visualforce',
        description: 'Access customer-created Visualforce pages.',
        category: 'Data',
      },
      {
        scope: 'custom_permissions',
        title: 'Custom permissions',
        description: 'Read the custom permissions of the connected app for this user.',
        category: 'Identity',
      },
      {
        scope: 'openid',
        title: 'OpenID Connect',
        description: 'Receive an OpenID Connect ID token for the user.',
        category: 'Identity',
      },
      {
        scope: 'profile',
        title: 'Profile',
        description: 'Read the user’s basic profile through the identity URL.',
        category: 'Identity',
      },
      {
        scope: 'email',
        title: 'Email address',
        description: 'Read the user’s email address through the identity URL.',
        category: 'Identity',
      },
      {
        scope: 'address',
        title: 'Address',
        description: 'Read the user’s address through the identity URL.',
        category: 'Identity',
      },
      {
        scope: 'phone',
        title: 'Phone number',
        description: 'Read the user’s phone number through the identity URL.',
        category: 'Identity',
      },
      {
        scope: 'wave_api',
        title: 'CRM Analytics',
        description: 'Access the CRM Analytics (Wave) REST API.',
        category: 'Analytics',
      },
      {
        scope: 'eclair_api',
        title: 'Analytics charts',
        description: 'Access the Analytics charts (Eclair) geodata API.',
        category: 'Analytics',
      },
      {
        scope: 'pardot_api',
        title: 'Account Engagement',
        description: 'Access Marketing Cloud Account Engagement (Pardot) API services.',
        category: 'Marketing',
      },
      {
        scope: 'cdp_query_api',
        title: 'Data Cloud queries',
        description: 'Run ANSI SQL queries on Data Cloud data.',
        category: 'Data Cloud',
      },
      {
        scope: 'cdp_profile_api',
        title: 'Data Cloud profiles',
        description: 'Read and manage Data Cloud profile records.',
        category: 'Data Cloud',
      },
      {
        scope: 'cdp_ingest_api',
        title: 'Data Cloud ingestion',
        description: 'Send data to the Data Cloud Ingestion API.',
        category: 'Data Cloud',
      },
      {
        scope: 'lightning',
        title: 'Lightning applications',
        description: 'Access Lightning applications on the user’s behalf.',
        category: 'Access',
      },
      {
        scope: 'content',
        title: 'Content resources',
        description: 'Access content resources such as files and documents.',
        category: 'Data',
      },
    ],
  },
  api: {
    // Each org has its own API host, returned as instance_url (see oauth.quirks); this is only the fallback.
    baseUrl: 'https://login.salesforce.com',
    defaultHeaders: { accept: 'application/json' },
    // Org-wide daily API request allocation: exceeding it is answered 403 with errorCode
    // REQUEST_LIMIT_EXCEEDED (docs.errors, and the limits cheat sheet at docs.rateLimits), which
    // limitReasons makes a limit while any other 403 stays a refusal. The Sforce-Limit-Info header
    // reports "api-usage=used/limit" on every REST answer (Salesforce's "Limit Info Header"
    // reference), one combined value that no quota header field can name.
    // A 429 is undocumented for the Platform REST API: its status-code table (docs.errors; the
    // release 252 copy lists 414, 415, 420, 428, 431, with no 429) and the cheat sheet name only the
    // 403, and Connect REST API answers Chatter's hourly limit with 503. Other Salesforce APIs do
    // answer 429 (Customer 360 Data Manager's status codes: "too many requests being processed at
    // the same time"; Marketing Cloud). Searched 2026-12-02: docs corpus, "Salesforce REST API 429",
    // the errorcodes pages. The gateway handles both: 429 stays listed and waits as the 403 does.
    rateLimits: { statuses: [403, 429], retryAfter: false, defaultWaitSeconds: 60, limitReasons: ['REQUEST_LIMIT_EXCEEDED'] },
    // An array: [{"message", "errorCode", "fields"}].
    errors: { messagePaths: ['0.message'], reasonPaths: ['0.errorCode'] },
    pagination: { style: 'next-url', nextUrlPath: 'nextRecordsUrl' },
    bodyEncoding: 'json',
  },
});

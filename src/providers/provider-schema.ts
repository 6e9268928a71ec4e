// The one shape of a catalog provider file: its auth facts and its API facts together, each backed
// by a link to the provider's documentation. Every file in src/providers/catalog.ts is parsed with
// this schema when the gateway starts, so a file that lacks a required fact or its link stops the
// start with a message naming both. See docs/providers.md for every field.
import { z } from 'zod';

const httpsUrl = z.url({ protocol: /^https$/ });
const docLink = httpsUrl;
const nonEmpty = z.string().trim().min(1);

export const authModes = ['OAUTH2', 'CLIENT_CREDENTIALS', 'API_KEY', 'BASIC'] as const;
export const authModeSchema = z.enum(authModes);
export type AuthMode = z.infer<typeof authModeSchema>;

/** Documentation links, one per fact. Which ones are required depends on the auth modes (see `requiredDocs`). */
export const docsSchema = z
  .object({
    /** The authorization request (endpoint, parameters, PKCE). */
    authorization: docLink,
    /** The token request and response (client authentication, token lifetime, error shape). */
    token: docLink,
    /** The scope catalog. */
    scopes: docLink,
    /** Refreshing an access token (rotation, lifetime of the refresh token). */
    refresh: docLink,
    /** Revoking a token or grant. */
    revocation: docLink,
    /** The client credentials grant. */
    clientCredentials: docLink,
    /** Where the connected account's identity is read. */
    identity: docLink,
    /** How an API key or Basic credential is sent. */
    apiKey: docLink,
    /** The request that checks an API key or Basic credential. */
    credentialCheck: docLink,
    /** The API reference (base URL). */
    api: docLink,
    /** Rate limits and how they are reported. */
    rateLimits: docLink,
    /** The error body shape. */
    errors: docLink,
    /** Pagination. */
    pagination: docLink,
  })
  .partial()
  .strict();
export type ProviderDocs = z.infer<typeof docsSchema>;
export type DocFact = keyof ProviderDocs;

export const scopeSchema = z
  .object({
    scope: nonEmpty,
    title: nonEmpty,
    description: nonEmpty,
    category: nonEmpty.optional(),
    /** Requested when the caller names no scopes. */
    isDefault: z.boolean().optional(),
    /** Always requested, whatever the caller names. */
    isRequired: z.boolean().optional(),
  })
  .strict();

const identitySchema = z.discriminatedUnion('from', [
  z
    .object({
      from: z.literal('api'),
      path: z.string().startsWith('/'),
      idPath: nonEmpty,
      namePath: nonEmpty.optional(),
      headers: z.record(z.string(), z.string()).optional(),
    })
    .strict(),
  z.object({ from: z.literal('token-response'), idField: nonEmpty, nameField: nonEmpty.optional() }).strict(),
  z
    .object({ from: z.literal('token-response-url'), urlField: nonEmpty, idPath: nonEmpty, namePath: nonEmpty.optional() })
    .strict(),
  z.object({ from: z.literal('url'), url: httpsUrl, idPath: nonEmpty, namePaths: z.array(nonEmpty).min(1) }).strict(),
  z.object({ from: z.literal('none') }).strict(),
]);

/**
 * Revocation strategies. `rfc7009` is data-driven; the others are provider protocols implemented
 * once in src/oauth/revocation.ts and chosen by this name, never by the provider's name.
 */
export const revocationStyles = [
  'rfc7009',
  'github-token',
  'stripe-deauthorize',
  /** POST to the endpoint with the access token as Bearer and no body (Slack auth.revoke, Dropbox). */
  'bearer-token',
  /** DELETE the endpoint with the access token as Bearer (Zendesk's tokens/current). */
  'bearer-token-delete',
  /** POST client_id, client_secret and access_token as form fields (Webflow). */
  'token-and-client-in-body',
  /** DELETE the endpoint with `{refresh_token}` in its path replaced by the refresh token (HubSpot). */
  'refresh-token-in-path',
  /** POST the endpoint with the access token as Bearer and as the form field `token` (DigitalOcean). */
  'bearer-and-token-field',
  /** POST with the access token as Bearer and as the form field `access_token` (Strava's deauthorize). */
  'bearer-and-access-token-field',
  /** POST `{client_id, access_token}` as JSON with `Authorization: Client <client secret>` (Square). */
  'client-secret-header-json',
] as const;

const headerName = z.string().regex(/^[A-Za-z0-9-]+$/, 'a header name');

const quirksSchema = z
  .object({
    formEncodedUnlessJsonAccepted: z.boolean(),
    errorsWithStatus200: z.boolean(),
    grantedScopeSeparator: z.enum([' ', ',']),
    scopeAbsentMeansRequested: z.boolean(),
    refreshTokenRotates: z.boolean(),
    refreshTokenMayBeOmitted: z.boolean(),
    keepFields: z.array(nonEmpty),
    assumedLifetimeSeconds: z.int().positive(),
    tokenTypeMissing: z.boolean(),
    jsonTokenRequests: z.boolean(),
    jsonRevocationRequests: z.boolean(),
    reauthErrors: z.array(nonEmpty),
    apiBaseUrlField: nonEmpty,
    apiBaseUrlHosts: z.array(nonEmpty),
    refreshRevocationEndsAccessTokens: z.boolean(),
    revokesAccessTokensOnly: z.boolean(),
    revocationBodyFields: z
      .object({ token: nonEmpty, token_type_hint: nonEmpty.optional(), client_id: nonEmpty.optional(), client_secret: nonEmpty.optional() })
      .strict(),
    expiryFromJwtExp: z.boolean(),
    clientIdWithBasic: z.boolean(),
  })
  .partial()
  .strict();

const clientCredentialsSchema = z
  .object({
    params: z
      .array(
        z
          .object({
            name: nonEmpty,
            description: nonEmpty,
            required: z.boolean().optional(),
            allowedValues: z.array(nonEmpty).optional(),
            pattern: nonEmpty.optional(),
          })
          .strict(),
      )
      .optional(),
    noIdentity: z.boolean().optional(),
    refusedTokenHosts: z.object({ hosts: z.array(nonEmpty).min(1), hint: nonEmpty }).strict().optional(),
  })
  .strict();

export const oauthSchema = z
  .object({
    /** Issuer identifier compared with an `iss` callback parameter (RFC 9207). */
    issuer: httpsUrl,
    endpoints: z
      .object({
        authorization: httpsUrl,
        token: httpsUrl,
        /** May contain `{client_id}` (GitHub). */
        revocation: z.string().startsWith('https://').optional(),
        /** Where refresh_token grants go when the provider refreshes somewhere else than `token` (Figma). */
        refresh: httpsUrl.optional(),
      })
      .strict(),
    /** Developer console where the OAuth app and its redirect URI are registered. */
    appRegistrationUrl: httpsUrl,
    scopes: z.array(scopeSchema),
    scopeSeparator: z.enum([' ', ',']),
    /**
     * How the client authenticates at the token endpoint (RFC 7591 token_endpoint_auth_method).
     * client_secret_jwt and private_key_jwt (RFC 7523) sign an assertion instead of sending the
     * secret; private_key_jwt's key comes from LATCHKEY_<NAME>_CLIENT_PRIVATE_KEY.
     */
    clientAuthMethod: z.enum(['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt', 'none']),
    pkce: z.boolean(),
    /** RFC 9126: the provider's pushed authorization request endpoint; `required` when it refuses front-channel requests. */
    pushedAuthorizationRequests: z.object({ endpoint: httpsUrl, required: z.boolean() }).strict().optional(),
    supportsRefresh: z.boolean(),
    revocation: z.enum(revocationStyles).optional(),
    /** Present when the provider supports the client credentials grant (auth mode CLIENT_CREDENTIALS). */
    clientCredentials: clientCredentialsSchema.optional(),
    /** Extra fixed parameters of the authorization request. */
    authorizationParams: z.record(z.string(), z.string()).optional(),
    /** Extra fixed parameters of the authorization code exchange at the token endpoint. */
    tokenParams: z.record(z.string(), z.string()).optional(),
    /** Fixed headers of every request to the token, refresh and revocation endpoints (Notion-Version). */
    endpointHeaders: z.record(headerName, z.string()).optional(),
    identity: identitySchema,
    /** Documented token-endpoint behaviours (see src/providers/types.ts for each). */
    quirks: quirksSchema.default({}),
    /** Refresh this many seconds before expiry (default 300). */
    refreshBufferSeconds: z.int().positive().optional(),
  })
  .strict();

/** How an API key or Basic credential is sent, and how the gateway checks it before storing it. */
export const credentialsSchema = z
  .object({
    /** API_KEY: where the key goes. `format` contains `{apiKey}` (e.g. "Bearer {apiKey}"). */
    apiKey: z
      .discriminatedUnion('in', [
        z.object({ in: z.literal('header'), name: headerName, format: z.string().includes('{apiKey}') }).strict(),
        z.object({ in: z.literal('query'), name: nonEmpty }).strict(),
      ])
      .optional(),
    /** Labels and help of the connect form. */
    form: z
      .object({
        apiKeyLabel: nonEmpty.optional(),
        usernameLabel: nonEmpty.optional(),
        passwordLabel: nonEmpty.optional(),
        /** One sentence telling the person where to find the credential. */
        help: nonEmpty,
      })
      .strict(),
    /** A request that tells a valid credential from a refused one. `path` may contain `{username}`. */
    check: z
      .object({
        method: z.enum(['GET', 'HEAD', 'POST']),
        path: z.string().startsWith('/'),
        validStatuses: z.array(z.int().min(200).max(299)).min(1),
        refusedStatuses: z.array(z.int().min(400).max(499)).min(1),
      })
      .strict()
      .optional(),
  })
  .strict();

const rateLimitsSchema = z
  .object({
    /** Statuses that may mean "slow down" (429, and 403 for GitHub). */
    statuses: z.array(z.int().min(400).max(599)).min(1),
    /**
     * Whether a Retry-After (seconds or an HTTP date) is honoured: the provider sends it, or may
     * (undocumented either way); a limit answer without one waits as the other facts say.
     */
    retryAfter: z.boolean(),
    /** Quota headers, by meaning. */
    headers: z
      .object({ limit: headerName, remaining: headerName, used: headerName, reset: headerName, resource: headerName })
      .partial()
      .strict()
      .default({}),
    /**
     * What the reset header holds. `seconds-by-magnitude`, for a provider that does not say: a
     * number below 10^9 is seconds to wait, a larger one a Unix time in seconds, from 10^12 in
     * milliseconds (no wait lasts 31 years, and 10^9 seconds after 1970 was 2001).
     */
    resetUnit: z
      .enum(['epoch-seconds', 'epoch-milliseconds', 'delta-seconds', 'duration', 'http-date', 'seconds-by-magnitude'])
      .optional(),
    /** Wait when a limit answer says nothing about how long. */
    defaultWaitSeconds: z.int().positive().default(60),
    /**
     * A named heuristic implemented once in src/passthrough/api-profiles.ts. `github-secondary`: a
     * 403 is a limit only when the quota is spent or the message says "rate limit".
     */
    strategy: z.enum(['github-secondary']).optional(),
    /**
     * Error reasons (read at errors.reasonPaths) that make a listed status a limit by themselves,
     * for a provider whose limit answer is an ordinary error status (Salesforce's 403
     * REQUEST_LIMIT_EXCEEDED); the wait is defaultWaitSeconds.
     */
    limitReasons: z.array(nonEmpty).min(1).optional(),
  })
  .strict();

export const apiSchema = z
  .object({
    /** Base URL of the provider's API; the only host a stored credential is ever sent to. */
    baseUrl: httpsUrl,
    /** Headers every API request carries (lower- or mixed-case names). */
    defaultHeaders: z.record(headerName, z.string()).default({}),
    rateLimits: rateLimitsSchema,
    /** Where an error body says what went wrong: dot paths tried in order. */
    errors: z
      .object({
        messagePaths: z.array(nonEmpty).min(1),
        reasonPaths: z.array(nonEmpty).optional(),
        /** Named strategy: `github-errors` appends GitHub's `errors[]` details. */
        details: z.enum(['github-errors']).optional(),
      })
      .strict(),
    pagination: z
      .discriminatedUnion('style', [
        z.object({ style: z.literal('none') }).strict(),
        z.object({ style: z.literal('link-header') }).strict(),
        z.object({ style: z.literal('cursor'), cursorParam: nonEmpty, nextCursorPath: nonEmpty, limitParam: nonEmpty.optional() }).strict(),
        z.object({ style: z.literal('offset'), offsetParam: nonEmpty, limitParam: nonEmpty }).strict(),
        z.object({ style: z.literal('page'), pageParam: nonEmpty, limitParam: nonEmpty.optional() }).strict(),
        z.object({ style: z.literal('next-url'), nextUrlPath: nonEmpty }).strict(),
      ])
      .default({ style: 'none' }),
    /** Encoding of request bodies. */
    bodyEncoding: z.enum(['json', 'form']).default('json'),
    /** Header naming the scopes an operation accepts (GitHub's X-Accepted-OAuth-Scopes). */
    acceptedScopesHeader: headerName.optional(),
  })
  .strict();

export const providerFileSchema = z
  .object({
    /** GraphQL enum value and stored column form, e.g. WEBFLOW. */
    name: z.string().regex(/^[A-Z][A-Z0-9_]{1,39}$/, 'upper-case letters, digits and underscores'),
    /** Lower-case key: `service: String` form, `secrets` field and callback path segment. Equals `name` in lower case. */
    key: z.string().regex(/^[a-z][a-z0-9_]{1,39}$/),
    displayName: nonEmpty,
    categories: z.array(nonEmpty).min(1),
    authModes: z.array(authModeSchema).min(1),
    docs: docsSchema,
    oauth: oauthSchema.optional(),
    credentials: credentialsSchema.optional(),
    api: apiSchema,
  })
  .strict()
  .superRefine((file, ctx) => {
    const problem = (message: string, path: (string | number)[]) => ctx.addIssue({ code: 'custom', message, path });
    if (file.key !== file.name.toLowerCase()) problem(`key must be ${JSON.stringify(file.name.toLowerCase())} (name in lower case)`, ['key']);
    if (new Set(file.authModes).size !== file.authModes.length) problem('authModes lists a mode twice', ['authModes']);
    const modes = new Set(file.authModes);
    if ((modes.has('OAUTH2') || modes.has('CLIENT_CREDENTIALS')) && !file.oauth) problem('OAUTH2 and CLIENT_CREDENTIALS need an oauth section', ['oauth']);
    if (file.oauth && !modes.has('OAUTH2') && !modes.has('CLIENT_CREDENTIALS')) problem('an oauth section needs auth mode OAUTH2 or CLIENT_CREDENTIALS', ['authModes']);
    if (modes.has('CLIENT_CREDENTIALS') !== Boolean(file.oauth?.clientCredentials)) {
      problem('auth mode CLIENT_CREDENTIALS and oauth.clientCredentials go together', ['oauth', 'clientCredentials']);
    }
    if (modes.has('API_KEY') && !file.credentials?.apiKey) problem('auth mode API_KEY needs credentials.apiKey (how the key is sent)', ['credentials']);
    if (modes.has('BASIC') && !file.credentials) problem('auth mode BASIC needs a credentials section', ['credentials']);
    if (file.credentials && !modes.has('API_KEY') && !modes.has('BASIC')) problem('a credentials section needs auth mode API_KEY or BASIC', ['authModes']);
    if (modes.has('API_KEY') && modes.has('BASIC')) problem('a service takes either API_KEY or BASIC, not both', ['authModes']);
    if (file.oauth?.endpoints.refresh && !file.oauth.supportsRefresh) problem('oauth.endpoints.refresh needs oauth.supportsRefresh', ['oauth', 'endpoints', 'refresh']);
    if (file.oauth?.revocation && !file.oauth.endpoints.revocation) problem('oauth.revocation needs oauth.endpoints.revocation', ['oauth', 'endpoints', 'revocation']);
    if (file.oauth?.quirks?.clientIdWithBasic && file.oauth.clientAuthMethod !== 'client_secret_basic') {
      problem('oauth.quirks.clientIdWithBasic adds client_id beside client_secret_basic', ['oauth', 'quirks', 'clientIdWithBasic']);
    }
    if (file.oauth?.quirks?.revocationBodyFields && file.oauth.revocation !== 'rfc7009') {
      problem('oauth.quirks.revocationBodyFields renames the fields of an rfc7009 revocation', ['oauth', 'quirks', 'revocationBodyFields']);
    }
    const scopes = file.oauth?.scopes.map((scope) => scope.scope) ?? [];
    if (new Set(scopes).size !== scopes.length) problem('a scope is listed twice', ['oauth', 'scopes']);
    for (const fact of requiredDocs(file)) {
      if (!file.docs[fact]) problem(`docs.${fact} is required: link the provider's documentation of this fact`, ['docs', fact]);
    }
  });

export type ProviderFileInput = z.input<typeof providerFileSchema>;
export type ProviderFile = z.output<typeof providerFileSchema>;
export type ApiFacts = ProviderFile['api'];
export type CredentialFacts = NonNullable<ProviderFile['credentials']>;
export type OAuthFacts = NonNullable<ProviderFile['oauth']>;

/** The documentation links a provider file must carry, given what it declares. */
export function requiredDocs(file: Pick<ProviderFile, 'authModes' | 'oauth' | 'credentials' | 'api'>): DocFact[] {
  const facts: DocFact[] = ['api', 'rateLimits', 'errors'];
  const modes = new Set(file.authModes);
  if (modes.has('OAUTH2')) facts.push('authorization', 'token', 'scopes', 'identity');
  if (modes.has('CLIENT_CREDENTIALS')) facts.push('token', 'clientCredentials');
  if (file.oauth?.supportsRefresh) facts.push('refresh');
  if (file.oauth?.revocation) facts.push('revocation');
  if (modes.has('API_KEY') || modes.has('BASIC')) facts.push('apiKey');
  if (file.credentials?.check) facts.push('credentialCheck');
  if (file.api.pagination.style !== 'none') facts.push('pagination');
  return [...new Set(facts)];
}

/** For provider files: type-checks the literal; validation happens once, in src/providers/catalog.ts. */
export function defineProvider(file: ProviderFileInput): ProviderFileInput {
  return file;
}

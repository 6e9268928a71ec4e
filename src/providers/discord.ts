import { defineProvider } from './provider-schema.js';

// Discord OAuth2 (docs/topics/oauth2 of discord/discord-api-docs). Access tokens last seven days
// (expires_in 604800); each refresh answer carries a refresh token. The OAuth2 endpoints take
// Basic or form client authentication and only form bodies. Revocation is RFC 7009, and revoking
// one token revokes every access and refresh token of that authorization whatever the token and
// hint (the page's revocation warning), so one revocation request is enough.
// PKCE with a client secret: Discord's Social SDK guides have the authorization request carry a
// code_challenge (the SDK opens the same OAuth2 page in a browser) and a confidential client's
// server send code_verifier to /oauth2/token with Basic client authentication (discord/discord-api-
// docs, developers/discord-social-sdk/development-guides/account-linking-with-discord.mdx, "Server-
// to-Server Get Token Exchange", and account-linking-on-mobile.mdx, "Authentication Flow for
// Confidential Clients"), so the gateway sends S256 PKCE too.
export default defineProvider({
  name: 'DISCORD',
  key: 'discord',
  displayName: 'Discord',
  categories: ['Communication'],
  authModes: ['OAUTH2'],
  docs: {
    authorization: 'https://discord.com/developers/docs/topics/oauth2#authorization-code-grant',
    token: 'https://discord.com/developers/docs/topics/oauth2#authorization-code-grant-access-token-exchange-example',
    scopes: 'https://discord.com/developers/docs/topics/oauth2#shared-resources-oauth2-scopes',
    refresh: 'https://discord.com/developers/docs/topics/oauth2#authorization-code-grant-refresh-token-exchange-example',
    revocation: 'https://discord.com/developers/docs/topics/oauth2#authorization-code-grant-token-revocation-example',
    identity: 'https://discord.com/developers/docs/resources/user#get-current-user',
    api: 'https://discord.com/developers/docs/reference',
    rateLimits: 'https://discord.com/developers/docs/topics/rate-limits',
    errors: 'https://discord.com/developers/docs/topics/opcodes-and-status-codes#json',
  },
  oauth: {
    issuer: 'https://discord.com',
    endpoints: {
      authorization: 'https://discord.com/oauth2/authorize',
      token: 'https://discord.com/api/oauth2/token',
      revocation: 'https://discord.com/api/oauth2/token/revoke',
    },
    appRegistrationUrl: 'https://discord.com/developers/applications',
    scopeSeparator: ' ',
    clientAuthMethod: 'client_secret_basic',
    pkce: true,
    supportsRefresh: true,
    revocation: 'rfc7009',
    identity: { from: 'api', path: '/users/@me', idPath: 'id', namePath: 'username' },
    quirks: { refreshTokenRotates: true, refreshRevocationEndsAccessTokens: true },
    scopes: [
      {
        scope: 'identify',
        title: 'Identify',
        description: 'Read the user’s id, username and avatar (no email).',
        category: 'User',
        isDefault: true,
      },
      { scope: 'email', title: 'Email', description: 'Read the user’s email address.', category: 'User' },
      {
        scope: 'guilds',
        title: 'Servers',
        description: 'List the servers the user is in.',
        category: 'Servers',
      },
      {
        scope: 'guilds.members.read',
        title: 'Server membership',
        description: 'Read the user’s member details in their servers.',
        category: 'Servers',
      },
      {
        scope: 'connections',
        title: 'Connections',
        description: 'Read the user’s third-party account connections.',
        category: 'User',
      },
      {
        scope: 'role_connections.write',
        title: 'Linked roles',
        description: 'Update the user’s role connection metadata.',
        category: 'Servers',
      },
    ],
  },
  api: {
    baseUrl: 'https://discord.com/api/v10',
    rateLimits: {
      statuses: [429],
      retryAfter: true,
      headers: {
        limit: 'X-RateLimit-Limit',
        remaining: 'X-RateLimit-Remaining',
        reset: 'X-RateLimit-Reset-After',
      },
      resetUnit: 'delta-seconds',
    },
    errors: { messagePaths: ['message'], reasonPaths: ['code'] },
  },
});

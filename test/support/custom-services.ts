// Shared pieces of the custom (site-defined) OAuth service tests: oidc-provider claims, the
// provider's URLs, token collection for leak checks, and the "forge" service over the GitHub fake.
import { randomBytes } from 'node:crypto';
import type { AuthorizationServer } from './authorization-server.js';
import type { FakeGitHub } from './fake-github.js';
import type { GraphQLResult, TestGateway } from './gateway.js';

/** A fresh client secret, labelled so a leak says whose it is. */
export const secretOf = (label: string) => `${label}-secret-${randomBytes(24).toString('base64url')}`;

/** The claims oidc-provider releases per scope. */
export const CLAIMS = { openid: ['sub'], profile: ['preferred_username', 'name'], email: ['email'] };

/** The claims of a test account. */
export const accountClaims = (accountId: string) => ({
  preferred_username: `user-${accountId.toLowerCase()}`,
  name: `User ${accountId}`,
  email: `${accountId.toLowerCase()}@example.com`,
});

/** prompt=consent, so that offline_access yields a refresh token. */
export const PROMPT_CONSENT = [{ name: 'prompt', value: 'consent' }];

/** The code of a GraphQL result's first error. */
export function errorCode(result: GraphQLResult<any>): unknown {
  return result.body.errors?.[0]?.extensions?.code;
}

/** The server's discovery document URL. */
export const wellKnown = (as: AuthorizationServer) => `${as.issuer}/.well-known/openid-configuration`;

/** The server's endpoints, as defineCustomService takes them. */
export const endpointsOf = (as: AuthorizationServer) => ({
  authorizationEndpoint: `${as.issuer}/services/oauth2/authorize`,
  tokenEndpoint: `${as.issuer}/services/oauth2/token`,
  revocationEndpoint: `${as.issuer}/services/oauth2/revoke`,
  userinfoEndpoint: `${as.issuer}/services/oauth2/userinfo`,
});

/** The least discovery document the gateway accepts, naming `issuer` and `as`'s endpoints. */
export const minimalDiscoveryDocument = (issuer: string, as: AuthorizationServer) => ({
  issuer,
  authorization_endpoint: endpointsOf(as).authorizationEndpoint,
  token_endpoint: endpointsOf(as).tokenEndpoint,
  response_types_supported: ['code'],
  scopes_supported: ['openid'],
});

/** Status of the server's userinfo endpoint for a token: 200 only for an access token it issued and still honours. */
export async function userinfoStatus(as: AuthorizationServer, accessToken: string): Promise<number> {
  const response = await fetch(`${as.issuer}/services/oauth2/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } });
  await response.body?.cancel();
  return response.status;
}

/** Adds every token the gateway holds right now (decrypted) to `into`, for the leak checks. */
export async function collectHeldTokens(on: TestGateway, into: Set<string>): Promise<void> {
  for (const row of await on.gateway.db.connection.findMany()) {
    try {
      for (const value of [on.gateway.services.store.accessTokenOf(row), on.gateway.services.store.refreshTokenOf(row)]) {
        if (value) into.add(value);
      }
    } catch {
      // A row this test cannot decrypt is no secret it handed out.
    }
  }
}

/** Granted scopes (entries or plain strings), sorted. */
export const sortedScopes = (granted: Array<{ scope: string } | string> | null | undefined) =>
  (granted ?? []).map((entry) => (typeof entry === 'string' ? entry : entry.scope)).sort();

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Defines the site's custom service "forge": the GitHub fake by its endpoints, under another name. */
export function defineForgeService(
  gateway: TestGateway,
  siteToken: string,
  github: Pick<FakeGitHub, 'env' | 'clientId' | 'clientSecret'>,
): Promise<GraphQLResult<any>> {
  return gateway.gql(
    'mutation ($input: DefineCustomServiceInput!) { defineCustomService(input: $input) { slug } }',
    {
      input: {
        slug: 'forge',
        friendlyServiceName: 'Forge',
        authorizationEndpoint: github.env.LATCHKEY_GITHUB_AUTHORIZATION_URL,
        tokenEndpoint: github.env.LATCHKEY_GITHUB_TOKEN_URL,
        clientId: github.clientId,
        clientSecret: github.clientSecret,
        clientAuthMethod: 'CLIENT_SECRET_POST',
        scopes: [{ scope: 'read:user', isDefault: true }],
      },
    },
    siteToken,
  );
}

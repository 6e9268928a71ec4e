// Connects a site to a service the way an app that handles its own OAuth callback does: startAuth
// with a redirectUri, the user consents at the provider, finishAuth with the code and state.
import { followRedirects } from './gateway.js';
import type { GraphQLCall } from './gateway-process.js';

export const APP_ORIGIN = 'http://app.test:3000';

export const appRedirectUri = (service: string) => `${APP_ORIGIN}/oauth/${service.toLowerCase()}`;

/** A browser whose user approves at a provider fake that redirects straight back to the app. */
export async function approveAtFake(authorizationUrl: string): Promise<URL> {
  const { final } = await followRedirects(authorizationUrl, (url) => url.origin === APP_ORIGIN);
  return final;
}

export async function connectService(
  gql: GraphQLCall,
  siteToken: string,
  service: 'GITHUB' | 'SPOTIFY' | 'SALESFORCE',
  approve: (authorizationUrl: string) => Promise<URL> = approveAtFake,
): Promise<void> {
  const started = await gql(
    'mutation ($input: StartAuthInput!) { startAuth(input: $input) { authorizationUrl } }',
    { input: { service, redirectUri: appRedirectUri(service) } },
    siteToken,
  );
  if (!started.body.data) throw new Error(`startAuth failed: ${JSON.stringify(started.body.errors)}`);
  const landing = await approve(started.body.data.startAuth.authorizationUrl);
  const code = landing.searchParams.get('code');
  const state = landing.searchParams.get('state');
  if (!code || !state) throw new Error(`the provider did not send a code: ${landing.searchParams.get('error') ?? landing.href}`);
  const finished = await gql(
    'mutation ($input: FinishAuthInput!) { finishAuth(input: $input) { isLoggedIn } }',
    { input: { code, state, iss: landing.searchParams.get('iss') ?? undefined } },
    siteToken,
  );
  if (!finished.body.data?.finishAuth.isLoggedIn) throw new Error(`finishAuth failed: ${JSON.stringify(finished.body.errors)}`);
}

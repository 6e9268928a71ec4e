// Connects a site to a service through the real authorization-code flow, in either of the two ways
// an app can finish it: through the gateway's callback, or through finishAuth with its own callback.
import { followRedirects, type GraphQLCall, type TestGateway } from './gateway.js';

/** startAuth with returnTo, the provider fake consents at once, the gateway's callback completes it. */
export async function connectViaCallback(gateway: TestGateway, token: string, service: string, returnTo: string): Promise<string> {
  const started = await gateway.gql<{ startAuth: { authorizationUrl: string; attemptId: string } }>(
    'mutation ($input: StartAuthInput!) { startAuth(input: $input) { authorizationUrl attemptId } }',
    { input: { service, returnTo } },
    token,
  );
  if (!started.body.data) throw new Error(`startAuth failed: ${JSON.stringify(started.body.errors)}`);
  const { final, cookie } = await followRedirects(started.body.data.startAuth.authorizationUrl, (url) => url.pathname.startsWith('/oauth/callback/'));
  const response = await fetch(final, { redirect: 'manual', headers: { cookie } });
  await response.body?.cancel();
  const back = new URL(response.headers.get('location') ?? 'about:blank');
  if (back.searchParams.get('latchkey_status') !== 'success') throw new Error(`connecting ${service} failed: ${back.search}`);
  return started.body.data.startAuth.attemptId;
}

/** What the connect page does with a connect-session URL (…/connect#token=lkc_…): start the service with its token, and the person approves. */
export function connectThroughSession(gateway: TestGateway, connectUrl: string, service: string, returnTo = `${APP_ORIGIN}/done`): Promise<string> {
  const token = new URL(connectUrl).hash.replace(/^#token=/, '');
  if (!token.startsWith('lkc_')) throw new Error(`not a connect-session URL: ${connectUrl.slice(0, 80)}`);
  return connectViaCallback(gateway, token, service, returnTo);
}

export const APP_ORIGIN = 'http://app.test:3000';

export const appRedirectUri = (service: string) => `${APP_ORIGIN}/oauth/${service.toLowerCase()}`;

/** A browser whose user approves at a provider fake that redirects straight back to the app. */
export async function approveAtFake(authorizationUrl: string): Promise<URL> {
  const { final } = await followRedirects(authorizationUrl, (url) => url.origin === APP_ORIGIN);
  return final;
}

/** startAuth with the app's redirectUri, the user consents, the app calls finishAuth with code and state. */
export async function connectViaFinishAuth(
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

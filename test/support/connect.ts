// Connects a site to a service through the real authorization-code flow: startAuth, the browser's
// visit to the provider (a local fake that consents at once), and the gateway's callback.
import { followRedirects, type TestGateway } from './gateway.js';

export async function connectService(gateway: TestGateway, token: string, service: string, returnTo: string): Promise<string> {
  const started = await gateway.gql<{ startAuth: { authorizationUrl: string; attemptId: string } }>(
    'mutation ($input: StartAuthInput!) { startAuth(input: $input) { authorizationUrl attemptId } }',
    { input: { service, returnTo } },
    token,
  );
  if (!started.body.data) throw new Error(`startAuth failed: ${JSON.stringify(started.body.errors)}`);
  const { final } = await followRedirects(started.body.data.startAuth.authorizationUrl, (url) => url.pathname.startsWith('/oauth/callback/'));
  const response = await fetch(final, { redirect: 'manual' });
  await response.body?.cancel();
  const back = new URL(response.headers.get('location') ?? 'about:blank');
  if (back.searchParams.get('latchkey_status') !== 'success') throw new Error(`connecting ${service} failed: ${back.search}`);
  return started.body.data.startAuth.attemptId;
}

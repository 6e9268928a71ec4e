// GET /oauth/start/:attemptId?k=<launch key> — the authorizationUrl of a gateway-callback attempt.
// It binds the attempt to this browser with a cookie, then sends the browser on to the provider.
// SameSite=Lax (not Strict): the provider's cross-site redirect back to the callback must carry it.
import type { Services } from '../services.js';
import { LatchkeyError } from '../errors.js';
import { bindingCookieName } from '../connections/authorization-flow.js';
import { errorPage, parseCookies } from './oauth-callback.js';

const ATTEMPT_ID = /^[A-Za-z0-9_-]{1,100}$/;

/** The binding cookie: only the gateway's /oauth routes ever see it, and scripts never do. */
export function bindingCookie(publicUrl: string, attemptId: string, value: string, maxAgeSeconds: number): string {
  const secure = new URL(publicUrl).protocol === 'https:' ? '; Secure' : '';
  return `${bindingCookieName(attemptId)}=${value}; HttpOnly; SameSite=Lax; Path=/oauth; Max-Age=${maxAgeSeconds}${secure}`;
}

export async function handleOAuthStart(services: Services, request: Request, url: URL): Promise<Response> {
  const attemptId = url.pathname.slice('/oauth/start/'.length);
  const keys = url.searchParams.getAll('k');
  try {
    if (!ATTEMPT_ID.test(attemptId) || keys.length !== 1) {
      throw new LatchkeyError('AUTH_STATE_INVALID', 'This sign-in link is malformed: start a new attempt from your app.');
    }
    const cookies = parseCookies(request.headers.get('cookie'));
    const launched = await services.flow.launch(attemptId, keys[0]!, cookies[bindingCookieName(attemptId)] ?? null);
    return new Response(null, {
      status: 302,
      headers: {
        location: launched.providerUrl,
        'set-cookie': bindingCookie(services.config.publicUrl, launched.attemptId, launched.bindingSecret, launched.maxAgeSeconds),
        'cache-control': 'no-store',
        'referrer-policy': 'no-referrer',
      },
    });
  } catch (error) {
    if (!(error instanceof LatchkeyError)) throw error;
    return errorPage(error.code, error.message);
  }
}

// GET /oauth/callback/:service — where providers send the browser back. The response never
// echoes the code or state; the page sets no-referrer so the URL that held them goes nowhere.
import { randomBytes } from 'node:crypto';
import type { Services } from '../services.js';
import { LatchkeyError } from '../errors.js';
import { errorCauseFields } from '../error-cause.js';
import { providers, serviceNames } from '../providers/index.js';
import type { CustomServiceKey, ServiceKey, ServiceName } from '../providers/types.js';
import { customServiceKey, serviceLabel, SLUG_PATTERN, slugOf } from '../providers/custom.js';
import { AttemptFailedError, allowedOriginsOf, bindingCookieName, UnboundBrowserError, type AttemptRow, type CallbackTarget } from '../connections/authorization-flow.js';

/** OAuth parameters of an authorization response that must appear at most once (RFC 6749 §3.1). */
const REPEATABLE_NOT = ['state', 'code', 'iss', 'error', 'error_description'] as const;

interface Outcome {
  status: 'success' | 'error';
  service: ServiceKey | null;
  /** The service's name for people. */
  name: string;
  attempt: AttemptRow | null;
  error: string | null;
  message: string;
}

const securityHeaders = (nonce: string) => ({
  'content-security-policy': `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'`,
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
});

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!);

/** JSON safe to place inside a <script> element. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');

function redirectTo(returnTo: string, outcome: Outcome): Response {
  const target = new URL(returnTo);
  target.searchParams.set('latchkey_status', outcome.status);
  if (outcome.service) target.searchParams.set('service', outcome.service);
  if (outcome.attempt) target.searchParams.set('attempt', outcome.attempt.id);
  if (outcome.error) target.searchParams.set('error', outcome.error);
  return new Response(null, {
    status: 302,
    headers: { location: target.href, 'referrer-policy': 'no-referrer', 'cache-control': 'no-store' },
  });
}

function redirectToVerify(verifyUrl: string, attempt: AttemptRow): Response {
  const target = new URL(verifyUrl);
  target.searchParams.set('latchkey_attempt', attempt.id);
  return new Response(null, {
    status: 302,
    headers: { location: target.href, 'referrer-policy': 'no-referrer', 'cache-control': 'no-store' },
  });
}

function page(outcome: Outcome, origins: readonly string[]): Response {
  const nonce = randomBytes(16).toString('base64');
  const name = outcome.name;
  const title = outcome.status === 'success' ? `Connected to ${name}` : `Could not connect to ${name}`;
  const message = {
    source: 'latchkey',
    type: 'latchkey:auth',
    status: outcome.status,
    service: outcome.service,
    attempt: outcome.attempt?.id ?? null,
    error: outcome.error,
  };
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Latchkey</title>
<style nonce="${nonce}">
body { font: 16px/1.5 system-ui, sans-serif; max-width: 36rem; margin: 4rem auto; padding: 0 1rem; color: #1a1a1a; background: #fff; }
h1 { font-size: 1.4rem; }
.error { color: #a40000; }
</style>
</head>
<body>
<main>
<h1 class="${outcome.status}">${escapeHtml(title)}</h1>
<p id="message">${escapeHtml(outcome.message)}</p>
${outcome.status === 'success' ? '<p>You can close this window.</p>' : '<p><a href="/connect">Back to the connect page</a> to try again, or close this window and start again from your app.</p>'}
</main>
<script nonce="${nonce}">
(function () {
  var message = ${scriptJson(message)};
  var origins = ${scriptJson(origins)};
  if (window.opener && !window.opener.closed) {
    // Only a window on one of the site's exact allowed origins receives it.
    origins.forEach(function (origin) { try { window.opener.postMessage(message, origin); } catch (e) {} });
    if (message.status === 'success') setTimeout(function () { window.close(); }, 300);
  }
})();
</script>
</body>
</html>
`;
  return new Response(html, {
    status: outcome.status === 'success' ? 200 : 400,
    headers: { 'content-type': 'text/html; charset=utf-8', ...securityHeaders(nonce) },
  });
}

/** The request's cookies by name (first value wins; malformed pairs are skipped). */
export function parseCookies(header: string | null): Record<string, string> {
  const cookies: Record<string, string> = {};
  for (const pair of (header ?? '').slice(0, 8192).split(';')) {
    const at = pair.indexOf('=');
    if (at <= 0) continue;
    const name = pair.slice(0, at).trim();
    if (name && !(name in cookies)) cookies[name] = pair.slice(at + 1).trim();
  }
  return cookies;
}

/** The error page for a request that names no attempt (e.g. a refused launch). */
export function errorPage(code: string, message: string): Response {
  return page({ status: 'error', service: null, name: 'the service', attempt: null, error: code, message }, []);
}

/** Expires a binding cookie once its attempt is over. */
function withClearedBinding(response: Response, attempt: AttemptRow): Response {
  response.headers.append('set-cookie', `${bindingCookieName(attempt.id)}=; HttpOnly; SameSite=Lax; Path=/oauth; Max-Age=0`);
  return response;
}

/** /oauth/callback/github → GITHUB; /oauth/callback/custom/<siteId>/<slug> → custom:<slug> of that site. */
function callbackTargetOf(pathname: string): CallbackTarget | null {
  const rest = pathname.slice('/oauth/callback/'.length);
  const custom = /^custom\/([A-Za-z0-9_-]{1,64})\/([a-z0-9-]{2,40})$/.exec(rest);
  if (custom) return SLUG_PATTERN.test(custom[2]!) ? { service: customServiceKey(custom[2]!), siteId: custom[1]! } : null;
  const segment = rest.toUpperCase();
  return providers.has(segment) ? { service: segment as ServiceName } : null;
}

/** A custom service's name is shown only to the holder of one of its attempts (it is the site's to tell). */
async function nameOf(services: Services, target: CallbackTarget, attempt: AttemptRow | null): Promise<string> {
  if (!target.siteId) return serviceLabel(target.service);
  if (!attempt || attempt.siteId !== target.siteId || attempt.service !== target.service) return 'the service';
  const custom = await services.customServices.find(target.siteId, slugOf(target.service as CustomServiceKey)).catch(() => null);
  return custom?.friendlyServiceName ?? 'the service';
}

export async function handleOAuthCallback(services: Services, url: URL, cookieHeader: string | null = null): Promise<Response> {
  const target = callbackTargetOf(url.pathname);
  if (!target) {
    return page({ status: 'error', service: null, name: 'the service', attempt: null, error: 'NOT_FOUND', message: 'There is no such service callback.' }, []);
  }
  const { service } = target;
  const query = url.searchParams;
  // Which of two values a provider, a proxy and openid-client each read is anyone's guess: a
  // repeated OAuth parameter is an injection attempt, refused before the attempt is even looked up.
  const repeated = REPEATABLE_NOT.filter((name) => query.getAll(name).length > 1);
  if (repeated.length > 0) {
    const message = `The callback repeats the parameter ${repeated.join(', ')}: refused, nothing was stored. Start a new attempt.`;
    return page({ status: 'error', service, name: serviceLabel(service), attempt: null, error: 'AUTH_STATE_INVALID', message }, []);
  }
  let outcome: Outcome;
  let unbound = false;
  try {
    const { attempt, verifyUrl } = await services.flow.completeCallback(target, {
      state: query.get('state'),
      code: query.get('code'),
      iss: query.get('iss'),
      error: query.get('error'),
      errorDescription: query.get('error_description'),
    }, parseCookies(cookieHeader));
    // End-user verification: the site's page, which knows who is logged in, confirms the end user.
    if (verifyUrl) return withClearedBinding(redirectToVerify(verifyUrl, attempt), attempt);
    const name = await nameOf(services, target, attempt);
    outcome = { status: 'success', service, name, attempt, error: null, message: `${name} is connected.` };
  } catch (error) {
    if (!(error instanceof LatchkeyError)) {
      services.logger.error('callback failed unexpectedly', { service, ...errorCauseFields(error) });
    }
    const attempt = error instanceof AttemptFailedError ? error.attempt : null;
    // Another browser's refused callback must not log the rightful browser's cookie out.
    unbound = error instanceof UnboundBrowserError;
    const code = error instanceof LatchkeyError ? String(error.extensions.providerError ?? error.code) : 'INTERNAL_ERROR';
    const message = error instanceof LatchkeyError ? error.message : 'Something went wrong on the gateway; start again.';
    outcome = { status: 'error', service, name: await nameOf(services, target, attempt), attempt, error: code, message };
  }

  // Only a known attempt may send the browser anywhere: its returnTo was checked against the site's origins.
  const finish = (response: Response) => (outcome.attempt && !unbound ? withClearedBinding(response, outcome.attempt) : response);
  if (outcome.attempt?.returnTo) return finish(redirectTo(outcome.attempt.returnTo, outcome));
  const origins = outcome.attempt
    ? allowedOriginsOf(await services.db.site.findUniqueOrThrow({ where: { id: outcome.attempt.siteId } }))
    : [];
  return finish(page(outcome, origins));
}

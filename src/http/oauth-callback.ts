// GET /oauth/callback/:service — where providers send the browser back. The response never
// echoes the code or state; the page sets no-referrer so the URL that held them goes nowhere.
import { randomBytes } from 'node:crypto';
import type { Services } from '../services.js';
import { LatchkeyError } from '../errors.js';
import { providers } from '../providers/index.js';
import type { CustomServiceKey, ServiceKey, ServiceName } from '../providers/types.js';
import { customServiceKey, serviceLabel, SLUG_PATTERN, slugOf } from '../providers/custom.js';
import { AttemptFailedError, allowedOriginsOf, type AttemptRow, type CallbackTarget } from '../connections/authorization-flow.js';

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
<p>You can close this window.</p>
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

export async function handleOAuthCallback(services: Services, url: URL): Promise<Response> {
  const target = callbackTargetOf(url.pathname);
  if (!target) {
    return page({ status: 'error', service: null, name: 'the service', attempt: null, error: 'NOT_FOUND', message: 'There is no such service callback.' }, []);
  }
  const { service } = target;
  const query = url.searchParams;
  let outcome: Outcome;
  try {
    const { attempt } = await services.flow.completeCallback(target, {
      state: query.get('state'),
      code: query.get('code'),
      iss: query.get('iss'),
      error: query.get('error'),
      errorDescription: query.get('error_description'),
    });
    const name = await nameOf(services, target, attempt);
    outcome = { status: 'success', service, name, attempt, error: null, message: `${name} is connected.` };
  } catch (error) {
    if (!(error instanceof LatchkeyError)) {
      services.logger.error('callback failed unexpectedly', { service, kind: error instanceof Error ? error.name : typeof error });
    }
    const attempt = error instanceof AttemptFailedError ? error.attempt : null;
    const code = error instanceof LatchkeyError ? String(error.extensions.providerError ?? error.code) : 'INTERNAL_ERROR';
    const message = error instanceof LatchkeyError ? error.message : 'Something went wrong on the gateway; start again.';
    outcome = { status: 'error', service, name: await nameOf(services, target, attempt), attempt, error: code, message };
  }

  // Only a known attempt may send the browser anywhere: its returnTo was checked against the site's origins.
  if (outcome.attempt?.returnTo) return redirectTo(outcome.attempt.returnTo, outcome);
  const origins = outcome.attempt
    ? allowedOriginsOf(await services.db.site.findUniqueOrThrow({ where: { id: outcome.attempt.siteId } }))
    : [];
  return page(outcome, origins);
}

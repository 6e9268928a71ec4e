// The pages a person sees while an MCP client signs in: the consent screen (which client, which site,
// as whom, which scopes) and an error page for requests that cannot be sent back to the client.
import { randomBytes } from 'node:crypto';
import { CONSENT_PATH, MCP_SCOPES, type ConsentView } from './authorization-server.js';

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!);

function headers(nonce: string, formTarget: string | null): Record<string, string> {
  return {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    // No script at all; the form may post here and the answer redirects to the client's origin only.
    'content-security-policy': [
      "default-src 'none'",
      `style-src 'nonce-${nonce}'`,
      `form-action 'self'${formTarget ? ` ${formTarget}` : ''}`,
      "frame-ancestors 'none'",
      "base-uri 'none'",
    ].join('; '),
  };
}

const STYLE = `body { font: 16px/1.5 system-ui, sans-serif; max-width: 36rem; margin: 4rem auto; padding: 0 1rem; color: #1a1a1a; background: #fff; }
h1 { font-size: 1.4rem; } .error { color: #a40000; } code { background: #f3f3f3; padding: 0 .2rem; }
ul { padding-left: 1.2rem; } button { font: inherit; padding: .5rem 1.2rem; margin-right: .6rem; }`;

function document(nonce: string, title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Latchkey</title>
<style nonce="${nonce}">${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

export function consentPage(view: ConsentView): Response {
  const nonce = randomBytes(16).toString('base64');
  const clientName = view.client.name ?? 'An unnamed MCP client';
  // Reading comes with every sign-in; writing is the person's choice (checked as the client asked).
  const scopes = view.scopes
    .map((scope) =>
      scope === 'mcp:write'
        ? `<li><label><input type="checkbox" name="scope" value="mcp:write" id="grant-write" checked> <code>mcp:write</code>: ${escapeHtml(MCP_SCOPES[scope])}</label></li>`
        : `<li><code>${escapeHtml(scope)}</code>: ${escapeHtml(MCP_SCOPES[scope])}</li>`,
    )
    .join('\n');
  const body = `<h1 id="title">${escapeHtml(clientName)} wants to use your connections on ${escapeHtml(view.siteName)}</h1>
<p>Signed in at ${escapeHtml(view.siteName)} as <strong id="end-user">${escapeHtml(view.endUser)}</strong>.</p>
<p>The client <strong id="client-name">${escapeHtml(clientName)}</strong> will receive access at <strong id="redirect-host">${escapeHtml(view.client.redirectHost)}</strong>
(client id <code>${escapeHtml(view.client.id)}</code>). It will be able to:</p>
<form method="post" action="${CONSENT_PATH}">
<ul id="scopes">
${scopes}
</ul>
<p>It never sees your passwords or the services' tokens. Access ends when the client signs out, when ${escapeHtml(view.siteName)} ends it, or after ${escapeHtml(view.idleLimit)} unused.</p>
<input type="hidden" name="request" value="${escapeHtml(view.authorizationId)}">
<input type="hidden" name="consent" value="${escapeHtml(view.consentSecret)}">
<button type="submit" name="decision" value="approve" id="approve">Allow</button>
<button type="submit" name="decision" value="deny" id="deny">Deny</button>
</form>`;
  return new Response(document(nonce, `Allow ${clientName}?`, body), { status: 200, headers: headers(nonce, view.client.redirectOrigin) });
}

export function signInErrorPage(error: string, description: string, status = 400): Response {
  const nonce = randomBytes(16).toString('base64');
  const body = `<h1 class="error">The MCP client could not sign in</h1>
<p id="error"><code>${escapeHtml(error)}</code></p>
<p id="message">${escapeHtml(description)}</p>`;
  return new Response(document(nonce, 'Sign-in failed', body), { status, headers: headers(nonce, null) });
}

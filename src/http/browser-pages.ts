// The gateway's pages for people: the connect page (/connect), the browser login helper
// (/latchkey-auth.js) and GraphiQL's local assets (/graphiql/*). Every file is the gateway's own,
// so the pages load nothing from a third party.
import { readFileSync } from 'node:fs';
import type { Plugin } from 'graphql-yoga';
import { GRAPHIQL_ASSET_PREFIX, GRAPHIQL_CSP, graphiqlAsset } from './graphiql.js';
import { isGraphQlPath } from './use-graphql-path-only.js';

export const CONNECT_PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

const pageHeaders = {
  'content-security-policy': CONNECT_PAGE_CSP,
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
};

interface StaticFile {
  body: string;
  headers: Record<string, string>;
}

const read = (relative: string) => readFileSync(new URL(relative, import.meta.url), 'utf8');

function staticFiles(): Map<string, StaticFile> {
  const html: StaticFile = { body: read('./connect/index.html'), headers: { ...pageHeaders, 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' } };
  return new Map<string, StaticFile>([
    ['/connect', html],
    ['/connect/', html],
    ['/connect/app.js', { body: read('./connect/app.js'), headers: { ...pageHeaders, 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache' } }],
    ['/connect/app.css', { body: read('./connect/app.css'), headers: { ...pageHeaders, 'content-type': 'text/css; charset=utf-8', 'cache-control': 'no-cache' } }],
    [
      '/latchkey-auth.js',
      {
        body: read('../../packages/latchkey-auth/latchkey-auth.js'),
        // Sites on other origins import it as a module script, which needs CORS.
        headers: {
          'content-type': 'text/javascript; charset=utf-8',
          'cache-control': 'no-cache',
          'access-control-allow-origin': '*',
          'cross-origin-resource-policy': 'cross-origin',
          'x-content-type-options': 'nosniff',
        },
      },
    ],
  ]);
}

const methodNotAllowed = () => new Response('Method Not Allowed', { status: 405, headers: { allow: 'GET, HEAD' } });

export function useBrowserPages(): Plugin {
  const files = staticFiles();
  return {
    async onRequest({ request, url, endResponse }) {
      const file = files.get(url.pathname);
      const isAsset = url.pathname.startsWith(GRAPHIQL_ASSET_PREFIX);
      if (!file && !isAsset) return;
      if (request.method !== 'GET' && request.method !== 'HEAD') return endResponse(methodNotAllowed());
      if (file) return endResponse(new Response(request.method === 'HEAD' ? null : file.body, { headers: file.headers }));
      const asset = await graphiqlAsset(request, url.pathname);
      if (asset) endResponse(asset);
    },
    onResponse({ request, response }) {
      // yoga's GraphiQL page (GET /graphql from a browser) gets the same protections.
      if (request.method === 'GET' && response.headers.get('content-type')?.startsWith('text/html') && isGraphQlPath(request)) {
        response.headers.set('content-security-policy', GRAPHIQL_CSP);
        response.headers.set('referrer-policy', 'no-referrer');
        response.headers.set('x-content-type-options', 'nosniff');
        response.headers.set('x-frame-options', 'DENY');
        response.headers.set('cache-control', 'no-store');
      }
    },
  };
}

// GraphiQL from local files. graphql-yoga's default page loads GraphiQL from a CDN; this one serves
// the prebuilt bundle of @graphql-yoga/render-graphiql (GraphiQL with the explorer plugin, Monaco
// and its workers) from the gateway itself, so it works offline and under a strict CSP.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import type { GraphiQLOptions } from 'graphql-yoga';

export const GRAPHIQL_ASSET_PREFIX = '/graphiql/';

/** Scripts and workers only from the gateway; GraphiQL and Monaco set inline styles. */
export const GRAPHIQL_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "worker-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/**
 * The header editor's starting value. Until the placeholder is replaced, start.js leaves the header
 * out, so the schema (introspection needs no token) and the explorer still load.
 */
export const TOKEN_PLACEHOLDER = 'YOUR_SITE_OR_FUNCTION_TOKEN';
export const GRAPHIQL_HEADERS = JSON.stringify({ Authorization: `Bearer ${TOKEN_PLACEHOLDER}` }, null, 2);

const OPERATIONS_DIR = new URL('../../client/operations/', import.meta.url);

/** One GraphiQL tab per file of client/operations, each with the header editor pre-set. */
export function exampleTabs(headers: string): NonNullable<GraphiQLOptions['defaultTabs']> {
  let files: string[] = [];
  try {
    files = readdirSync(OPERATIONS_DIR).filter((file) => file.endsWith('.graphql')).sort();
  } catch {
    return [];
  }
  return files.map((file) => ({
    query: `# Example operations from client/operations/${file}\n${readFileSync(new URL(file, OPERATIONS_DIR), 'utf8')}`,
    headers,
  }));
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!);

/** JSON safe inside a <script type="application/json"> element. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');

/** yoga's `renderGraphiQL`: a page whose scripts and styles are the gateway's own files. */
export function renderLocalGraphiQL(options: GraphiQLOptions): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(options.title ?? 'GraphiQL')}</title>
<link rel="icon" href="${GRAPHIQL_ASSET_PREFIX}favicon.ico">
<link rel="stylesheet" href="${GRAPHIQL_ASSET_PREFIX}graphiql.css">
<script id="graphiql-options" type="application/json">${scriptJson(options)}</script>
<script src="${GRAPHIQL_ASSET_PREFIX}graphiql.js" defer></script>
<script src="${GRAPHIQL_ASSET_PREFIX}start.js" defer></script>
</head>
<body id="body" class="no-focus-outline">
<noscript>GraphiQL needs JavaScript. The API itself answers POST /graphql.</noscript>
<div id="root"></div>
</body>
</html>
`;
}

// Monaco asks for its workers by label; they are served as same-origin files (worker-src 'self').
const START_SCRIPT = `(function () {
  var send = window.fetch.bind(window);
  window.fetch = function (input, init) {
    if (init && init.headers) {
      var headers = new Headers(init.headers);
      if ((headers.get('authorization') || '').indexOf('${TOKEN_PLACEHOLDER}') !== -1) {
        headers.delete('authorization');
        init = Object.assign({}, init, { headers: headers });
      }
    }
    return send(input, init);
  };
})();
self.MonacoEnvironment = {
  globalAPI: false,
  getWorkerUrl: function (_moduleId, label) { return '${GRAPHIQL_ASSET_PREFIX}workers/' + encodeURIComponent(label) + '.js'; },
};
YogaGraphiQL.renderYogaGraphiQL(
  document.getElementById('root'),
  JSON.parse(document.getElementById('graphiql-options').textContent),
);
`;

interface Asset {
  body: Buffer;
  type: string;
  gzipped?: Buffer;
}

let assets: Promise<Map<string, Asset>> | undefined;
const version = (createRequire(import.meta.url)('@graphql-yoga/render-graphiql/package.json') as { version: string }).version;

/** The bundle is ~9 MB: loaded on the first GraphiQL request, not at start-up. */
function loadAssets(): Promise<Map<string, Asset>> {
  assets ??= import('@graphql-yoga/render-graphiql/graphiql').then((bundle) => {
    const js = (text: string): Asset => ({ body: Buffer.from(text), type: 'text/javascript; charset=utf-8' });
    const favicon = /^data:([^;,]+);base64,(.*)$/s.exec(bundle.favicon);
    return new Map<string, Asset>([
      ['graphiql.js', js(bundle.js)],
      ['start.js', js(START_SCRIPT)],
      ['graphiql.css', { body: Buffer.from(bundle.css), type: 'text/css; charset=utf-8' }],
      ['workers/editorWorkerService.js', js(bundle.editorWorkerService)],
      ['workers/json.js', js(bundle.jsonWorker)],
      ['workers/graphql.js', js(bundle.graphqlWorker)],
      ...(favicon ? [['favicon.ico', { body: Buffer.from(favicon[2]!, 'base64'), type: favicon[1]! }] as [string, Asset]] : []),
    ]);
  });
  return assets;
}

/** GET /graphiql/<asset>; null when the path is no asset. */
export async function graphiqlAsset(request: Request, pathname: string): Promise<Response | null> {
  const asset = (await loadAssets()).get(pathname.slice(GRAPHIQL_ASSET_PREFIX.length));
  if (!asset) return null;
  const etag = `"graphiql-${version}"`;
  const headers: Record<string, string> = {
    'content-type': asset.type,
    'cache-control': 'public, max-age=3600',
    etag,
    'x-content-type-options': 'nosniff',
    vary: 'accept-encoding',
  };
  if (request.headers.get('if-none-match') === etag) return new Response(null, { status: 304, headers });
  if (/\bgzip\b/.test(request.headers.get('accept-encoding') ?? '') && asset.body.length > 1024) {
    asset.gzipped ??= gzipSync(asset.body);
    return new Response(new Uint8Array(asset.gzipped), { headers: { ...headers, 'content-encoding': 'gzip' } });
  }
  return new Response(new Uint8Array(asset.body), { headers });
}

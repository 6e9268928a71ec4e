// `npm run build` (run by postinstall): compiles src/ to dist/ with tsc, then bundles dist/cli.js
// with esbuild into dist/bundle/ (split at every dynamic import, so each command still loads only
// what it needs), and copies the connect page's static files beside it. bin/latchkey.js starts the
// bundle: a gateway loads 97 modules until ready instead of 1,453 to resolve, read and compile
// (about half its start-up CPU; figures in docs/benchmark.md).
import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { deepStrictEqual } from 'node:assert';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);

let tsc;
try {
  tsc = require.resolve('typescript/bin/tsc');
} catch {
  // An install without devDependencies: bin/latchkey.js then runs the sources through tsx.
  console.error('latchkey build skipped: typescript is not installed (npm install without --omit=dev builds dist/).');
  process.exit(0);
}
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
cpSync('src/http/connect', 'dist/http/connect', { recursive: true });

// Left out of the bundle: native and WebAssembly parts, the driver of the other database (each
// loaded only for its own database), packages loaded lazily that are large (GraphiQL's page, the
// MCP SDK, OpenTelemetry), and @prisma/driver-adapter-utils, whose classes the external adapters
// share with our code.
const external = [
  'better-sqlite3',
  'pg',
  '@prisma/adapter-pg',
  '@prisma/adapter-better-sqlite3',
  '@prisma/driver-adapter-utils',
  '@prisma/client/runtime/query_compiler_*',
  '@prisma/schema-engine-wasm',
  '@prisma/schema-engine-wasm/*',
  '@graphql-yoga/render-graphiql',
  '@graphql-yoga/render-graphiql/*',
  '@modelcontextprotocol/sdk',
  '@modelcontextprotocol/sdk/*',
  // The SDK and exporter load only when tracing is on. @opentelemetry/api is bundled: prom-client
  // requires it at start, and as ~70 files from node_modules it cost ~100 ms of every start (its
  // copies share one global registry, so the SDK's own copy and the bundled one see the same tracer).
  '@opentelemetry/sdk-trace-node',
  '@opentelemetry/exporter-trace-otlp-http',
  '@opentelemetry/resources',
];

// The provider catalog, validated here once (the build fails on an invalid file) and written into
// the bundle as data, so a bundled start does not validate it again (src/providers/catalog.ts).
// Only plain JSON data may pass: the round trip must give back exactly what validation returned.
const { catalog } = await import(pathToFileURL('dist/providers/catalog.js').href);
const validatedCatalog = JSON.stringify(catalog);
deepStrictEqual(JSON.parse(validatedCatalog), [...catalog]);
const define = { LATCHKEY_VALIDATED_CATALOG: validatedCatalog };

rmSync('dist/bundle', { recursive: true, force: true });
let esbuild;
try {
  esbuild = require('esbuild');
} catch {
  console.error('latchkey build: esbuild is not installed, so bin/latchkey.js runs dist/cli.js unbundled (slower to start).');
}
if (esbuild) {
  await esbuild.build({
    entryPoints: ['dist/cli.js'],
    outdir: 'dist/bundle',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external,
    // Whitespace and syntax only: V8 keeps every script's source in memory (11 MB less RSS), and
    // names stay as written, so logged error classes and stack traces still read well.
    minifyWhitespace: true,
    minifySyntax: true,
    define,
    // Bundled CommonJS packages call require(); in an ES module it has to be created.
    banner: { js: "import { createRequire as __latchkeyCreateRequire } from 'node:module'; const require = __latchkeyCreateRequire(import.meta.url);" },
    logLevel: 'warning',
  });
  // `latchkey serve` runs this one CommonJS script instead (src/gateway-loader.ts): Node 20 caches
  // V8's compiled code for scripts only, not for ES modules. Dynamic imports inside it are bundled
  // in (externals stay import()); import.meta.url becomes the script's own URL.
  await esbuild.build({
    entryPoints: ['dist/gateway.js'],
    outfile: 'dist/bundle/gateway.cjs',
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    external,
    minifyWhitespace: true,
    minifySyntax: true,
    define: { ...define, 'import.meta.url': '__latchkeyImportMetaUrl' },
    banner: { js: "var __latchkeyImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
    logLevel: 'warning',
  });
  // A script run through vm.Script can call import() only with an experimental vm option, so the
  // dynamic imports esbuild kept (externals, Node built-ins) call the loader's import function. The
  // file is written as the function expression the loader runs (CommonJS's wrapper plus that
  // function), so the 4 MB source is one string in memory, not the file's and a wrapped copy.
  const gatewayScript = readFileSync('dist/bundle/gateway.cjs', 'utf8').replace(/(?<![\w$.])import\(/g, '__latchkeyImport(');
  writeFileSync('dist/bundle/gateway.cjs', `(function (exports, require, module, __filename, __dirname, __latchkeyImport) {${gatewayScript}\n})`);
  // Paths in the sources are relative to their module (dist/<folder>/<file>.js): the bundle is one
  // folder deep as well, and finds the connect page's files beside it.
  cpSync('src/http/connect', 'dist/bundle/connect', { recursive: true });
}
// bin/latchkey.js compares the sources' modification times with this stamp's.
writeFileSync('dist/.built', `${new Date().toISOString()}\n`);

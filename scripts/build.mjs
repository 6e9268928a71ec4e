// `npm run build` (run by postinstall): compiles src/ to dist/ and copies the connect page's static
// files beside it, so bin/latchkey.js starts plain JavaScript instead of compiling TypeScript.
import { execFileSync } from 'node:child_process';
import { cpSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  // An install without devDependencies: bin/latchkey.js then runs the sources through tsx.
  console.error('latchkey build skipped: typescript is not installed (npm install without --omit=dev builds dist/).');
  process.exit(0);
}
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
cpSync('src/http/connect', 'dist/http/connect', { recursive: true });
// bin/latchkey.js compares the sources' modification times with this stamp's.
writeFileSync('dist/.built', `${new Date().toISOString()}\n`);

#!/usr/bin/env node
// Runs the compiled JavaScript in dist/ (built by `npm install` / `npm run build`): the esbuild bundle
// in dist/bundle/ when the build made one, else tsc's output. When there is
// none, or a file in src/ changed after it was built (a developer at work), it runs the TypeScript
// sources through tsx instead, so the command never runs stale code. LATCHKEY_FROM_SOURCE=1 forces that.
import { existsSync, readdirSync, statSync } from 'node:fs';

const root = new URL('../', import.meta.url);

function newestSourceMs(directory) {
  let newest = 0;
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = `${directory}/${entry.name}`;
    newest = Math.max(newest, entry.isDirectory() ? newestSourceMs(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function compiledIsCurrent() {
  if (process.env.LATCHKEY_FROM_SOURCE) return false;
  try {
    return statSync(new URL('dist/.built', root)).mtimeMs >= newestSourceMs(new URL('src', root).pathname);
  } catch {
    return false;
  }
}

if (compiledIsCurrent()) {
  await import(existsSync(new URL('dist/bundle/cli.js', root)) ? '../dist/bundle/cli.js' : '../dist/cli.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli.ts');
}

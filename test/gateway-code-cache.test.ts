// The V8 code cache `latchkey serve` runs its CommonJS bundle with (src/gateway-loader.ts), on a
// small real script loaded in fresh processes: written on request when missing, used by the next
// start, replaced when V8 refuses it or it is damaged, and never applied to a changed script. Its effect on start-up
// time is measured in `npm run bench:startup`, not here.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const runner = fileURLToPath(new URL('./support/run-with-code-cache.ts', import.meta.url));
const folder = mkdtempSync(join(tmpdir(), 'latchkey-code-cache-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const caches = (name: string) => readdirSync(folder).filter((file) => file.startsWith(`${name}.`) && file.endsWith('.v8cache'));

interface Outcome {
  usedCodeCache: boolean;
  answer: number;
  folder: string;
  sum: number;
  imported: string;
}

function load(path: string, save = false): Outcome {
  const output = execFileSync(process.execPath, ['--import', 'tsx', runner, path, save ? 'save' : ''], { encoding: 'utf8' });
  return JSON.parse(output) as Outcome;
}

/** A script shaped like the bundle: the wrapper the build writes, many functions, require, __dirname and import(). */
function writeScript(name: string, answer: number): string {
  const path = join(folder, name);
  const functions = Array.from({ length: 50 }, (_, index) => `function f${index}(x) { return x * ${index} + 1; }`).join('\n');
  writeFileSync(
    path,
    `(function (exports, require, module, __filename, __dirname, __latchkeyImport) {${functions}\nconst { basename } = require('node:path');\n` +
      `module.exports = { answer: () => ${answer}, folder: basename(__dirname), sum: () => f1(1) + f49(2), load: () => __latchkeyImport('node:path') };\n})`,
  );
  return path;
}

describe('the gateway bundle runs with a V8 code cache', () => {
  it('writes the cache when asked, uses it at the next start, and runs the script as CommonJS either way', () => {
    const path = writeScript('gateway-a.cjs', 42);
    const expected = { answer: 42, folder: folder.split('/').at(-1), sum: 2 + 99, imported: 'function' };
    expect(load(path)).toEqual({ ...expected, usedCodeCache: false });
    expect(caches('gateway-a.cjs')).toEqual([]);

    expect(load(path, true)).toEqual({ ...expected, usedCodeCache: false });
    const [cache] = caches('gateway-a.cjs');
    expect(cache).toBeDefined();
    const written = statSync(join(folder, cache!)).mtimeMs;

    expect(load(path, true)).toEqual({ ...expected, usedCodeCache: true });
    expect(statSync(join(folder, cache!)).mtimeMs).toBe(written); // accepted: nothing rewritten
    expect(readdirSync(folder).filter((file) => file.endsWith('.tmp'))).toEqual([]);
  });

  it('a cache V8 refuses is replaced, and a changed script gets a cache of its own', () => {
    const path = writeScript('gateway-b.cjs', 7);
    load(path, true);
    const [cache] = caches('gateway-b.cjs');
    // A V8 header it does not recognise (as from another V8 version or other flags), with the
    // file's own digest (its first 32 bytes) made to match: V8 refuses it.
    const foreign = readFileSync(join(folder, cache!));
    for (let index = 32; index < 40; index += 1) foreign[index] = foreign[index]! ^ 0xff;
    createHash('sha256').update(foreign.subarray(32)).digest().copy(foreign, 0);
    writeFileSync(join(folder, cache!), foreign);
    expect(load(path, true)).toMatchObject({ answer: 7, usedCodeCache: false });
    expect(load(path)).toMatchObject({ answer: 7, usedCodeCache: true });

    // A damaged payload V8 would not notice (it aborts the process deserializing it): the digest
    // does, so the start goes on without it and writes a good one; so does a truncated file.
    const damaged = readFileSync(join(folder, cache!));
    for (let index = 200; index < damaged.length; index += 3) damaged[index] = damaged[index]! ^ 0x55;
    writeFileSync(join(folder, cache!), damaged);
    expect(load(path, true)).toMatchObject({ answer: 7, usedCodeCache: false });
    expect(load(path)).toMatchObject({ answer: 7, usedCodeCache: true });
    writeFileSync(join(folder, cache!), readFileSync(join(folder, cache!)).subarray(0, 100));
    expect(load(path)).toMatchObject({ answer: 7, usedCodeCache: false });

    // Same length, other source: V8 would not notice (it compares lengths and does not checksum
    // the payload in release builds), so the cache is named by the script's hash.
    writeScript('gateway-b.cjs', 8);
    expect(load(path, true)).toMatchObject({ answer: 8, usedCodeCache: false });
    expect(caches('gateway-b.cjs')).toHaveLength(2);
    expect(load(path)).toMatchObject({ answer: 8, usedCodeCache: true });
  });
});

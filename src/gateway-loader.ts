// Loads src/gateway.ts for `latchkey serve`. The build bundles it a second time as one CommonJS
// script, dist/bundle/gateway.cjs, because Node 20 can cache V8's compiled code only for scripts
// (vm.Script `cachedData`), not for ES modules: compiling the gateway's ~4 MB of JavaScript was the
// largest share of its start-up CPU (docs/benchmark.md). The first start writes the cache after
// it is ready, so the functions compiled lazily while starting are in it; later starts skip that
// compiling. V8 itself refuses a cache made by another V8 version or with other flags
// (`cachedDataRejected`), the file name carries a hash of the script, so a rebuilt bundle never
// meets an old cache, and the file carries a hash of its payload, which V8 does not check: each is
// then written anew. Without the bundle (unbundled dist/, or tsx on the
// sources) or with LATCHKEY_CODE_CACHE=0, the ES module is imported as usual.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

type GatewayModule = typeof import('./gateway.js');

export interface LoadedGateway {
  gateway: GatewayModule;
  /** Writes the code cache when this start had none that V8 accepted; a no-op otherwise. */
  saveCodeCache(): void;
}

export async function loadGateway(env: NodeJS.ProcessEnv): Promise<LoadedGateway> {
  const bundled = fileURLToPath(new URL('./gateway.cjs', import.meta.url));
  if (env.LATCHKEY_CODE_CACHE === '0' || !existsSync(bundled)) return { gateway: await import('./gateway.js'), saveCodeCache: () => {} };
  const { exports, saveCodeCache } = runScriptWithCodeCache(bundled);
  return { gateway: exports as GatewayModule, saveCodeCache };
}

const DIGEST_BYTES = 32;
const digestOf = (data: Uint8Array) => createHash('sha256').update(data).digest();

/**
 * The cache's payload when its SHA-256 (the file's first 32 bytes) matches, else undefined. V8
 * checks a cache's header (version, flags, source length) but not its payload: a damaged payload
 * is not refused, it aborts the process. So a damaged or truncated file counts as no cache.
 */
function readVerifiedCache(cachePath: string): Buffer | undefined {
  let file: Buffer;
  try {
    file = readFileSync(cachePath);
  } catch {
    return undefined; // none yet
  }
  const data = file.subarray(DIGEST_BYTES);
  return file.length > DIGEST_BYTES && digestOf(data).equals(file.subarray(0, DIGEST_BYTES)) ? data : undefined;
}

// Bare specifiers resolve from this file's folder, the bundle's own (dist/bundle/).
const importFromHere = (specifier: string): Promise<unknown> => import(specifier);

/**
 * Runs a CommonJS module written as `(function (exports, require, module, __filename, __dirname, __latchkeyImport) {…})`,
 * compiled with (and able to write) a V8 code cache beside it.
 */
export function runScriptWithCodeCache(path: string): { exports: unknown; usedCodeCache: boolean; saveCodeCache(): void } {
  // Hashed as bytes: hashing the decoded string would encode its 4 MB again (~20 ms against ~5).
  const bytes = readFileSync(path);
  const cachePath = `${path}.${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}.v8cache`;
  const source = bytes.toString('utf8');
  const cachedData = readVerifiedCache(cachePath);
  // The build writes the file as a function expression taking CommonJS's arguments and
  // __latchkeyImport, to which it points the script's import() calls (externals such as Prisma's
  // query compiler, loaded on use): a script run by vm cannot import without an experimental option.
  const script = new Script(source, { filename: path, cachedData });
  const stale = cachedData === undefined || script.cachedDataRejected === true;
  const module = { exports: {} as unknown };
  (script.runInThisContext() as (...args: unknown[]) => void)(module.exports, createRequire(path), module, path, dirname(path), importFromHere);
  return {
    exports: module.exports,
    usedCodeCache: !stale,
    saveCodeCache() {
      if (!stale) return;
      // Written to a temporary file and renamed, so a gateway starting meanwhile reads all or nothing.
      const partial = `${cachePath}.${process.pid}.tmp`;
      try {
        const data = script.createCachedData();
        const file = openSync(partial, 'w');
        try {
          writeSync(file, digestOf(data));
          writeSync(file, data);
          fsyncSync(file); // before the rename: a crash must not leave the name on unwritten data
        } finally {
          closeSync(file);
        }
        renameSync(partial, cachePath);
      } catch {
        // A read-only installation starts without the cache, as before.
        rmSync(partial, { force: true });
      }
    },
  };
}

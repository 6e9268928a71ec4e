// Run in a child process by test/gateway-code-cache.test.ts (V8 keeps compiled scripts in memory, so
// only a fresh process shows whether a cache file was used): loads the CommonJS file argv[2] through
// the gateway's loader, writes its code cache when argv[3] is "save", and prints what happened as JSON.
import { runScriptWithCodeCache } from '../../src/gateway-loader.js';

const [path, save] = process.argv.slice(2);
const loaded = runScriptWithCodeCache(path!);
const exported = loaded.exports as { answer(): number; folder: string; sum(): number; load(): Promise<{ join: unknown }> };
const imported = typeof (await exported.load()).join;
if (save === 'save') loaded.saveCodeCache();
console.log(JSON.stringify({ usedCodeCache: loaded.usedCodeCache, answer: exported.answer(), folder: exported.folder, sum: exported.sum(), imported }));

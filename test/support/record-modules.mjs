// Preloaded with `node --import` into a gateway or CLI process under test: writes the URL of every
// ES module it loads (through a loader hook) and every CommonJS module in require.cache to the file
// named by LATCHKEY_TEST_MODULES_FILE, on exit and on SIGUSR2. Tests read it to check what a command
// imports, e.g. that a gateway on SQLite never loads the PostgreSQL driver.
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';

const file = process.env.LATCHKEY_TEST_MODULES_FILE;
if (file) {
  register('./record-modules-hooks.mjs', import.meta.url, { data: { file } });
  const cache = createRequire(import.meta.url).cache;
  const dump = () => appendFileSync(file, Object.keys(cache).map((path) => `file://${path}\n`).join(''));
  process.on('exit', dump);
  process.on('SIGUSR2', dump);
}

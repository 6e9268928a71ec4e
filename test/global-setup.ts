// Runs once before the suite: makes sure what the tests need from the machine is there, installing
// Debian's PostgreSQL when the suite runs as root (CI, a fresh development machine) and saying what
// to do otherwise.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

function postgresInstalled(): boolean {
  if (spawnSync('pg_config', ['--bindir'], { stdio: 'ignore' }).status === 0) return true;
  const root = '/usr/lib/postgresql';
  return existsSync(root) && readdirSync(root).some((version) => existsSync(`${root}/${version}/bin/initdb`));
}

function installPostgres(): void {
  if (process.getuid?.() !== 0 || spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status !== 0) {
    throw new Error('PostgreSQL is not installed and cannot be installed from here: run `sudo apt-get install -y postgresql` (Debian/Ubuntu), then run the tests again.');
  }
  console.log('[setup] installing PostgreSQL from Debian (apt-get install postgresql)…');
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'postgresql'], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  console.log('[setup] PostgreSQL installed.');
}

export const CHROMIUM_PATH = '/usr/bin/chromium';

/** The browser tests drive Debian's Chromium through playwright-core; no browser is ever downloaded. */
function installChromium(): void {
  if (process.getuid?.() !== 0 || spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status !== 0) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM_PATH} and cannot be installed from here: run \`sudo apt-get install -y chromium\` (Debian/Ubuntu), or set LATCHKEY_TEST_SKIP_BROWSER=1 to run without the browser tests' setup.`,
    );
  }
  console.log('[setup] installing Chromium from Debian for the browser tests (apt-get install chromium)…');
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium'], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  console.log('[setup] Chromium installed.');
}

export default function setup(): void {
  const needsPostgres = process.env.LATCHKEY_TEST_DB === 'postgresql' || process.env.LATCHKEY_TEST_SKIP_POSTGRES !== '1';
  if (needsPostgres && !postgresInstalled()) installPostgres();
  if (process.env.LATCHKEY_TEST_SKIP_BROWSER !== '1' && !existsSync(CHROMIUM_PATH)) installChromium();
}

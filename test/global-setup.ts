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

export default function setup(): void {
  const needsPostgres = process.env.LATCHKEY_TEST_DB === 'postgresql' || process.env.LATCHKEY_TEST_SKIP_POSTGRES !== '1';
  if (needsPostgres && !postgresInstalled()) installPostgres();
}

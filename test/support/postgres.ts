// A throwaway PostgreSQL server for tests and scripts: a fresh cluster in a temporary folder,
// listening on a free port of 127.0.0.1 (and a socket inside that folder) with trust
// authentication, deleted on stop(). Set LATCHKEY_TEST_POSTGRES_URL to the URL of a running
// server, as a user who may create databases, to use that server instead.
import { execFile as execFileCallback, execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const execFile = promisify(execFileCallback);

export interface PostgresServer {
  /** URL of a database on the server (default `postgres`), as a user who may create databases. */
  url(dbName?: string): string;
  /** Creates an empty database and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Drops a database, even while clients are still connected to it. */
  dropDatabase(name: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startPostgres(): Promise<PostgresServer> {
  const existing = process.env.LATCHKEY_TEST_POSTGRES_URL;
  if (existing) return useExistingServer(existing);

  const bin = findBinDir();
  const root = await mkdtemp(join(tmpdir(), 'latchkey-pg-'));
  const dataDir = join(root, 'data');
  const socketDir = join(root, 'socket');
  await mkdir(socketDir);
  // initdb and postgres refuse to run as root, so then the cluster belongs to the postgres user.
  const runAs = process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--'] : [];
  if (runAs.length > 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }));
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }));
    await chown(root, uid, gid);
    await chown(socketDir, uid, gid);
  }
  const command = (program: string, args: string[]) => [...runAs, join(bin, program), ...args];
  const run = (program: string, args: string[]) => {
    const [file = '', ...rest] = command(program, args);
    return execFile(file, rest);
  };

  let port = 0;
  try {
    await run('initdb', ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions']);
    // The free port may be taken by someone else before the server binds it, hence the retries.
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      const serverOptions = [
        `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${socketDir}`,
        // Durability is pointless for a cluster deleted afterwards, and costs time.
        '-c fsync=off -c synchronous_commit=off -c full_page_writes=off',
      ].join(' ');
      try {
        await run('pg_ctl', ['start', '-D', dataDir, '-w', '-t', '30', '-l', join(root, 'server.log'), '-o', serverOptions]);
        break;
      } catch (error) {
        if (attempt === 3) throw error;
      }
    }
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw new Error(`Could not start a temporary PostgreSQL in ${root}: ${(error as Error).message}`, { cause: error });
  }

  // Test workers are killed rather than exited, so no exit handler would run: a detached shell
  // stops the server and deletes the folder once this process is gone.
  const stopCommand = command('pg_ctl', ['stop', '-D', dataDir, '-m', 'immediate', '-w']);
  const quoted = (words: string[]) => words.map((word) => `'${word.replaceAll("'", "'\\''")}'`).join(' ');
  const watchdog = spawn(
    'sh',
    ['-c', `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; ${quoted(stopCommand)}; rm -rf ${quoted([root])}`],
    { detached: true, stdio: 'ignore' },
  );
  watchdog.unref();

  let stopped = false;
  return {
    ...serverApi((dbName = 'postgres') => `postgresql://postgres@127.0.0.1:${port}/${dbName}`),
    async stop() {
      if (stopped) return;
      stopped = true;
      if (watchdog.pid !== undefined) process.kill(watchdog.pid);
      const [file = '', ...rest] = stopCommand;
      await execFile(file, rest);
      await rm(root, { recursive: true, force: true });
    },
  };
}

function findBinDir(): string {
  const candidates: string[] = [];
  try {
    candidates.push(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  } catch {
    // pg_config is in libpq-dev, which the server does not need
  }
  const debianDir = '/usr/lib/postgresql';
  if (existsSync(debianDir)) {
    const versions = readdirSync(debianDir).sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((version) => join(debianDir, version, 'bin')));
  }
  const bin = candidates.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')));
  if (!bin) throw new Error('PostgreSQL is not installed: run `apt-get install -y postgresql` (bash .ci/run does this)');
  return bin;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('No free port'))));
    });
  });
}

function useExistingServer(serverUrl: string): PostgresServer {
  const created = new Set<string>();
  const server = serverApi((dbName = 'postgres') => {
    const url = new URL(serverUrl);
    url.pathname = `/${dbName}`;
    return url.toString();
  });
  return {
    ...server,
    async createDatabase(name) {
      const url = await server.createDatabase(name);
      created.add(name);
      return url;
    },
    // Leaves the server running; only the databases created here are dropped.
    async stop() {
      for (const name of created) await server.dropDatabase(name);
      created.clear();
    },
  };
}

function serverApi(url: (dbName?: string) => string): Omit<PostgresServer, 'stop'> {
  const runAdminSql = async (sql: string) => {
    const client = new pg.Client({ connectionString: url() });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  return {
    url,
    async createDatabase(name) {
      await runAdminSql(`CREATE DATABASE ${quoteName(name)}`);
      return url(name);
    },
    async dropDatabase(name) {
      await runAdminSql(`DROP DATABASE IF EXISTS ${quoteName(name)} WITH (FORCE)`);
    },
  };
}

function quoteName(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`Invalid database name "${name}": use a-z, 0-9 and _`);
  return `"${name}"`;
}

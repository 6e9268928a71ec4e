// `npm run example:providers` as the README uses it: its variables start a gateway on any port,
// and Spotify connects through the stand-in whatever that port is.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { connectViaCallback } from './support/connect.js';

const root = fileURLToPath(new URL('..', import.meta.url));
let providers: ChildProcess;
let gateway: TestGateway;

beforeAll(async () => {
  providers = spawn(process.execPath, ['--import', 'tsx', 'scripts/example-provider.ts'], { cwd: root, env: { PATH: process.env.PATH ?? '' } });
  let stdout = '';
  let stderr = '';
  providers.stdout!.on('data', (chunk) => (stdout += chunk));
  providers.stderr!.on('data', (chunk) => (stderr += chunk));
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (stderr.includes('Press Ctrl+C')) {
        clearInterval(timer);
        resolve();
      } else if (providers.exitCode !== null) {
        clearInterval(timer);
        reject(new Error(`example:providers exited: ${stderr}`));
      }
    }, 50);
  });
  const env = Object.fromEntries([...stdout.matchAll(/^export (\w+)='([^']*)'$/gm)].map((match) => [match[1]!, match[2]!]));
  expect(env.LATCHKEY_SPOTIFY_CLIENT_ID).toBeTruthy();
  // Not port 4000 (which the stand-in was started for): the gateway's own random port.
  gateway = await startTestGateway(env);
}, 120_000);

afterAll(async () => {
  await gateway?.close();
  providers?.kill('SIGTERM');
});

describe('example:providers', () => {
  it("accepts the gateway's Spotify callback on another loopback port", async () => {
    expect(new URL(gateway.publicUrl).port).not.toBe('4000');
    const site = await gateway.createSite('example', ['http://app.test:3000']);
    await connectViaCallback(gateway, site.token, 'SPOTIFY', 'http://app.test:3000/done');
    const read = await gateway.gql('{ secrets { spotify { isLoggedIn } } }', undefined, site.token);
    expect(read.body.data.secrets.spotify.isLoggedIn).toBe(true);
  });
});

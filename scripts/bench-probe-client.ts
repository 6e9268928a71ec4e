// The benchmark side of scripts/bench-probe.mjs (loaded into a gateway with `node --import`): asking
// the probe over IPC, and a free loopback port to start a gateway on. Shared by bench:scale and
// bench:documents.
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** One question to a gateway's probe and its answer. */
export function ask<T>(gateway: ChildProcess, type: string, body: Record<string, unknown> = {}): Promise<T> {
  return new Promise((resolve) => {
    const listener = (message: { type: string } & T) => {
      if (message.type !== type) return;
      gateway.off('message', listener);
      resolve(message);
    };
    gateway.on('message', listener);
    gateway.send({ type, ...body });
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

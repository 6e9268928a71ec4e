// What the benchmarks share to drive their child processes: one question over IPC and its answer
// (the gateways' probe, scripts/bench-probe.mjs, and the forked roles of bench:load and bench:sweep),
// and a free loopback port to start a server on.
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** Sends `{ type, ...body }` to the child and resolves with its first message of type `reply`. */
export function ask<T>(child: ChildProcess, type: string, body: Record<string, unknown> = {}, reply = type): Promise<T> {
  return new Promise((resolve) => {
    const listener = (message: { type: string }) => {
      if (message.type !== reply) return;
      child.off('message', listener);
      resolve(message as T);
    };
    child.on('message', listener);
    child.send({ type, ...body });
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

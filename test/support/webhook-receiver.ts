// A webhook receiver on loopback that records every delivery, and a wait for a verified event.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, vi } from 'vitest';
import { verifyWebhook } from '../../src/webhooks/verify.js';

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** Statuses to answer on a path, in order; afterwards 200. */
  script: Map<string, number[]>;
  at(path: string): Received[];
  close(): Promise<void>;
}

/** Answers 200 (or what `script` says for the path); `/redirect` answers a 302 to `/landed`. */
export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  const script = new Map<string, number[]>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://receiver.invalid').pathname;
      received.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      if (path === '/redirect') {
        res.writeHead(302, { location: '/landed' }).end();
        return;
      }
      const status = script.get(path)?.shift() ?? 200;
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'thanks' : 'nope');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    script,
    at: (path) => received.filter((entry) => entry.path === path),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Waits for `receiver` to get an event of `type` on `path`; returns it verified with `secret`. */
export async function receivedEvent(receiver: Receiver, path: string, type: string, secret: string) {
  let found: { message: Received; payload: any } | undefined;
  await vi.waitFor(
    () => {
      const match = receiver.at(path).find((entry) => JSON.parse(entry.body).type === type);
      expect(match, `${type} at ${path}`).toBeDefined();
      found = { message: match!, payload: verifyWebhook(secret, match!.headers as Record<string, string>, match!.body) };
    },
    { timeout: 15_000, interval: 50 },
  );
  return found!;
}

// A tiny HTTP server on loopback with fixed answers by path, for tests that need a misbehaving
// provider (oversized, silent or redirecting discovery documents and token endpoints).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type TinyRoute = (req: IncomingMessage, res: ServerResponse) => void;

/** Starts the server; `routes` gets its base URL and returns the answer for each path (else 404). Counts requests per path. */
export async function startTinyServer(routes: (base: string) => Record<string, TinyRoute>) {
  const hits = new Map<string, number>();
  let table: ReturnType<typeof routes> = {};
  const http = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const route = table[path];
    if (route) route(req, res);
    else res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not_found"}');
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  table = routes(base);
  return {
    base,
    hits: (path: string) => hits.get(path) ?? 0,
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}

/** A route that answers `body` as JSON with `status`. */
export const json = (body: unknown, status = 200): TinyRoute => (_req, res) => {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
};

// Counts every GraphQL request by operation name and outcome with its latency, and serves the
// Prometheus text at GET /metrics on the main port to the admin token.
// Options: `metrics` (the gateway's registry and counters); `serveOnMainPort` (false when
// LATCHKEY_METRICS_PORT gives metrics a listener of their own, and /metrics here is then 404);
// `isAdmin` (decides from the Authorization header).
import type { Plugin } from 'graphql-yoga';
import { getOperationAST, Kind } from 'graphql';
import type { GatewayMetrics } from './metrics.js';

export interface UseMetricsOptions {
  metrics: GatewayMetrics;
  serveOnMainPort: boolean;
  isAdmin: (authorization: string | null) => Promise<boolean>;
}

interface Timing {
  started: number;
  operation: string | undefined;
}

function outcomeOf(result: unknown): string {
  if (Array.isArray(result)) return 'batch';
  const errors = (result as { errors?: ReadonlyArray<{ extensions?: Record<string, unknown> }> } | null)?.errors;
  if (!errors?.length) return 'ok';
  const code = errors[0]?.extensions?.code;
  return typeof code === 'string' && /^[A-Z_]{1,40}$/.test(code) ? code : 'error';
}

export async function metricsResponse(metrics: GatewayMetrics): Promise<Response> {
  const { contentType, body } = await metrics.scrape();
  return new Response(body, { headers: { 'content-type': contentType, 'cache-control': 'no-store' } });
}

export function useMetrics(options: UseMetricsOptions): Plugin {
  const timings = new WeakMap<Request, Timing>();
  return {
    async onRequest({ request, url, endResponse }) {
      if (url.pathname !== '/metrics') return;
      if (!options.serveOnMainPort) return endResponse(new Response('Not Found: metrics are served on LATCHKEY_METRICS_PORT.', { status: 404 }));
      if (request.method !== 'GET') return endResponse(new Response('Method Not Allowed', { status: 405, headers: { allow: 'GET' } }));
      if (!(await options.isAdmin(request.headers.get('authorization')))) {
        return endResponse(
          new Response('Send the admin token (LATCHKEY_ADMIN_TOKEN) as "Authorization: Bearer …", or set LATCHKEY_METRICS_PORT to serve metrics on a listener of their own.\n', {
            status: 401,
            headers: { 'www-authenticate': 'Bearer', 'content-type': 'text/plain; charset=utf-8' },
          }),
        );
      }
      return endResponse(await metricsResponse(options.metrics));
    },
    onParams({ params, request }) {
      timings.set(request, { started: performance.now(), operation: params.operationName ?? undefined });
    },
    onParse({ context }) {
      const timing = timings.get((context as { request: Request }).request);
      if (!timing || timing.operation) return;
      return ({ result }) => {
        if (result && typeof result === 'object' && 'kind' in result && result.kind === Kind.DOCUMENT) {
          timing.operation = getOperationAST(result)?.name?.value;
        }
      };
    },
    onResultProcess({ request, result }) {
      const timing = timings.get(request);
      if (!timing) return;
      timings.delete(request);
      options.metrics.graphqlRequest(timing.operation ?? 'anonymous', outcomeOf(result), (performance.now() - timing.started) / 1000);
    },
  };
}

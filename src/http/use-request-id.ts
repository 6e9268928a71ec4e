// One id per HTTP request: every log line written while the request runs carries it (through
// AsyncLocalStorage), the response echoes it in `x-request-id`, and every GraphQL error has it in
// `extensions.requestId`, so an operator can go from a caller's error to the gateway's log lines.
// Options: none. A caller's `x-request-id` is reused when it is 8–64 plain characters.
import type { Plugin } from 'graphql-yoga';
import { GraphQLError } from 'graphql';
import { currentRequestId, requestIdFrom, runInRequest } from '../request-context.js';

export const REQUEST_ID_HEADER = 'x-request-id';

export function useRequestId(): Plugin {
  const ids = new WeakMap<Request, string>();
  const idOf = (request: Request): string => {
    let id = ids.get(request) ?? currentRequestId();
    if (!id) id = requestIdFrom(request.headers.get(REQUEST_ID_HEADER));
    ids.set(request, id);
    return id;
  };
  return {
    instrumentation: {
      request: ({ request }, wrapped) => runInRequest({ requestId: idOf(request) }, wrapped),
    },
    onResultProcess({ request, result, setResult }) {
      if (Array.isArray(result) || !result || typeof result !== 'object' || !('errors' in result) || !result.errors) return;
      const requestId = idOf(request);
      setResult({
        ...result,
        errors: result.errors.map((error) =>
          error instanceof GraphQLError
            ? new GraphQLError(error.message, {
                nodes: error.nodes,
                source: error.source,
                positions: error.positions,
                path: error.path,
                originalError: error.originalError,
                extensions: { ...error.extensions, requestId },
              })
            : error,
        ),
      });
    },
    onResponse({ request, response }) {
      response.headers.set(REQUEST_ID_HEADER, idOf(request));
    },
  };
}

// graphql-yoga serves its endpoint on any URL that ends in it ("/graphql/", "/x/graphql",
// "/?/graphql"), but every protection keyed on the endpoint (no-store, GraphiQL's CSP and frame
// ban, the edge's token refusals) compares the exact path. Only /graphql itself is the API.
import type { Plugin } from 'graphql-yoga';

export const GRAPHQL_PATH = '/graphql';

export function isGraphQlPath(request: Request): boolean {
  return new URL(request.url).pathname === GRAPHQL_PATH;
}

/** Placed after the plugins that answer the other routes: whatever reaches it is GraphQL or nothing. */
export function useGraphQlPathOnly(): Plugin {
  return {
    onRequest({ url, endResponse }) {
      if (url.pathname !== GRAPHQL_PATH) endResponse(new Response(null, { status: 404, statusText: 'Not Found' }));
    },
  };
}

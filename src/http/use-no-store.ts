// Every /graphql answer can carry tokens (bearerToken, siteToken, authorizationUrl): no browser,
// proxy or CDN may keep a copy. Errors and GraphiQL's page included.
import type { Plugin } from 'graphql-yoga';

export interface NoStoreOptions {
  /** The GraphQL endpoint's path (default /graphql). */
  endpoint?: string;
}

export function useNoStore(options: NoStoreOptions = {}): Plugin {
  const endpoint = options.endpoint ?? '/graphql';
  return {
    onResponse({ request, response }) {
      if (new URL(request.url).pathname === endpoint) response.headers.set('cache-control', 'no-store');
    },
  };
}

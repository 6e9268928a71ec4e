// graphql-yoga's CSRF prevention: a POST a browser sends without a CORS preflight (an HTML form:
// application/x-www-form-urlencoded, multipart/form-data, text/plain) is refused before parsing, so
// a foreign page can never make a visitor's browser run a mutation. Every real client (GraphiQL,
// the connect page, @latchkey/auth, @latchkey/functions, Netlify's getSecrets) sends JSON with
// content-type application/json, which browsers preflight.
import type { Plugin } from 'graphql-yoga';
import { useCSRFPrevention as useYogaCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';

export interface CsrfPreventionOptions {
  /** Headers that prove a preflight happened (default: yoga's x-graphql-yoga-csrf). */
  requestHeaders?: string[];
}

export function useCsrfPrevention(options: CsrfPreventionOptions = {}): Plugin {
  const yoga = useYogaCSRFPrevention(options.requestHeaders ? { requestHeaders: options.requestHeaders } : {});
  return {
    onRequestParse(payload) {
      // GET never runs a mutation (yoga answers 405) and a foreign page cannot read its answer
      // without CORS, so simple GETs (curl, links to GraphiQL) keep working.
      if (payload.request.method === 'GET' || payload.request.method === 'HEAD') return;
      return yoga.onRequestParse?.(payload);
    },
  };
}

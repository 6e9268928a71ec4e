// Browser-facing tokens (lkc_: canConnect function tokens and connect links) live in web pages, so a
// page on any origin that obtained one could otherwise use it: a request carrying one is refused
// when its Origin is present and is neither one of the site's allowed origins nor the gateway's own.
// (Requests without Origin come from servers and CLIs, which a browser page cannot impersonate.)
import type { Plugin } from 'graphql-yoga';
import type { GraphQLContext } from '../context.js';
import { forbidden } from '../errors.js';
import type { OriginPolicy } from '../sites/origin-policy.js';

export interface BrowserTokenOptions {
  origins: OriginPolicy;
}

export function useBrowserTokens(options: BrowserTokenOptions): Plugin<GraphQLContext> {
  return {
    async onExecute({ args, setResultAndStopExecution }) {
      const { caller, request } = args.contextValue;
      if (caller?.kind !== 'site' || !caller.canConnect) return;
      const origin = request.headers.get('origin');
      if (!origin || (await options.origins.allowsForSite(caller.siteId, origin))) return;
      setResultAndStopExecution({
        errors: [forbidden(`This browser token may be used only from the site's allowed origins or the gateway's own pages, not from ${origin.slice(0, 100)}.`)],
      });
    },
  };
}

// GraphQL's variable errors repeat the value they refused ('Variable "$input" got invalid value
// { apiKey: "sk-…", label: "x" }; Field "label" is not defined'), so one misspelt field beside a
// credential, code or verifier sent it back in an error, where callers log errors. Every string the
// request's variables hold is blanked out of such messages; what was wrong is still said. Only
// request errors (no path) are touched: a resolver's own message may name what it refused ("Unknown
// service \"nope\"") and never repeats a secret.
import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';

const HIDDEN = '"…"';

function stringsIn(value: unknown, found: Set<string>, depth = 0): Set<string> {
  if (typeof value === 'string') found.add(value);
  else if (value && typeof value === 'object' && depth < 32) for (const item of Object.values(value)) stringsIn(item, found, depth + 1);
  return found;
}

/** The message with every quoted occurrence of the given strings replaced, longest first. */
export function withoutValues(message: string, strings: ReadonlySet<string>): string {
  let hidden = message;
  for (const value of [...strings].sort((a, b) => b.length - a.length)) {
    const quoted = JSON.stringify(value);
    if (hidden.includes(quoted)) hidden = hidden.split(quoted).join(HIDDEN);
  }
  return hidden;
}

export function useNoEchoedValues(): Plugin {
  const variablesOf = new WeakMap<Request, Set<string>>();
  return {
    onParams({ params, request }) {
      if (params.variables && typeof params.variables === 'object') variablesOf.set(request, stringsIn(params.variables, new Set()));
    },
    onResultProcess({ request, result, setResult }) {
      const strings = variablesOf.get(request);
      if (!strings?.size || Array.isArray(result) || !result || typeof result !== 'object' || !('errors' in result) || !result.errors) return;
      setResult({
        ...result,
        errors: result.errors.map((error) => {
          if (error.path) return error;
          const message = withoutValues(error.message, strings);
          if (message === error.message) return error;
          return new GraphQLError(message, { nodes: error.nodes, source: error.source, positions: error.positions, path: error.path, originalError: error.originalError, extensions: error.extensions });
        }),
      });
    },
  };
}

// A GraphQL document longer than LATCHKEY_MAX_QUERY_BYTES is refused before it is parsed, far below
// the 256 KB body limit (which also bounds variables, e.g. a proxy body): comments and whitespace
// are not tokens, so the token limit alone would let a 200 KB document through the lexer.
import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';

export function useMaxQuerySize(maxBytes: number): Plugin {
  return {
    onParams({ params, setResult }) {
      const query = params.query;
      // Characters bound bytes from below; only a document near the limit is measured exactly.
      if (typeof query !== 'string' || query.length * 3 <= maxBytes) return;
      const bytes = Buffer.byteLength(query, 'utf8');
      if (bytes <= maxBytes) return;
      setResult({
        errors: [new GraphQLError(`The GraphQL document is ${bytes} bytes; the limit is ${maxBytes} (LATCHKEY_MAX_QUERY_BYTES).`, { extensions: { code: 'BAD_USER_INPUT' } })],
      });
    },
  };
}

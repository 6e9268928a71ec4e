// The caches of GraphQL documents the gateway keeps for reuse: yoga's parsed documents and parse
// errors, and graphql-jit's compiled queries. Yoga's own default is 1,024 of each for an hour and
// the jit cache had 1,000: bounded in entries but not in bytes, and what an entry costs depends on
// the document, which anyone may send before authenticating. Measured on the compiled gateway,
// 1,100 distinct documents held after a full GC: 526 MB when each was a small query padded with
// 240 KB of comments (tokens are counted without comments), 276 MB for 379-token queries (the AST
// with its token list about 360 bytes a token, the compiled query about 410), 239 MB for 240 KB
// that failed to parse (the error keeps the source). So each cache is bounded in estimated bytes:
// the source's length plus a cost per token, and a document bigger than its cache is not kept.
import type { JITCache } from '@envelop/graphql-jit';
import type { DocumentNode } from 'graphql';
import { LRUCache } from 'lru-cache';

type JitEntry = NonNullable<ReturnType<JITCache['get']>>;

/** The AST with its token list, or the compiled query, per token of the document (measured above, rounded up). */
export const BYTES_PER_TOKEN = 400;
const MAX_ENTRIES = 1024;
const TTL_MS = 3_600_000;

// Comments, strings and block strings, names, numbers and punctuators, as the GraphQL lexer splits
// them; an estimate that errs towards more tokens (a string counts once, whatever its length).
const TOKENS = /#[^\n\r]*|"""[\s\S]*?"""|"(?:[^"\\\n\r]|\\.)*"|[_A-Za-z][_0-9A-Za-z]*|-?\d[\d.eE+-]*|\.\.\.|[!$&()[\]{}:=@|]/g;

/** How many tokens of the document's source the parser keeps (comments are not tokens). */
export function countTokens(source: string): number {
  let count = 0;
  for (const match of source.matchAll(TOKENS)) if (match[0][0] !== '#') count += 1;
  return count;
}

/** The estimated bytes a cached document (or its compiled query, or its parse error) holds. */
export function estimatedBytes(source: string): number {
  return source.length + countTokens(source) * BYTES_PER_TOKEN;
}

function sizedCache<V extends object>(maxBytes: number) {
  return new LRUCache<string, V>({
    max: MAX_ENTRIES,
    ttl: TTL_MS,
    maxSize: Math.max(1, Math.floor(maxBytes)),
    sizeCalculation: (_value, source) => Math.max(1, estimatedBytes(source)),
  });
}

export interface DocumentCaches {
  /** For createYoga's `parserAndValidationCache`. */
  parserAndValidationCache: { documentCache: LRUCache<string, DocumentNode>; errorCache: LRUCache<string, object> };
  /** For useGraphQlJit's `cache`. */
  jitCache: LRUCache<string, JitEntry>;
}

/**
 * The three caches within `maxMb` (LATCHKEY_DOCUMENT_CACHE_MB) together: parsed documents and
 * compiled queries 40 % each, parse errors (only a broken client repeats one) 20 %.
 */
export function createDocumentCaches(options: { maxMb: number }): DocumentCaches {
  const bytes = options.maxMb * 1024 * 1024;
  return {
    parserAndValidationCache: { documentCache: sizedCache<DocumentNode>(bytes * 0.4), errorCache: sizedCache<object>(bytes * 0.2) },
    jitCache: sizedCache<JitEntry>(bytes * 0.4),
  };
}

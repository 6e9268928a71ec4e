// The gateway keeps parsed documents, parse errors and compiled queries for reuse, bounded in
// estimated bytes (LATCHKEY_DOCUMENT_CACHE_MB): anyone can send distinct documents, authenticated or
// not, and before the bound 1,100 of them held hundreds of MB (docs/benchmark.md).
import { Lexer, Source, TokenKind } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BYTES_PER_TOKEN, countTokens, estimatedBytes } from '../src/http/document-caches.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';

function lexerTokens(source: string): number {
  const lexer = new Lexer(new Source(source));
  let count = 0;
  while (lexer.advance().kind !== TokenKind.EOF) count += 1;
  return count;
}

describe('countTokens', () => {
  it('counts what the GraphQL lexer counts, comments left out', () => {
    const documents = [
      '{ secrets { github { bearerToken } } }',
      'query ($u: String) { secrets(endUser: $u) { github { bearerToken } } }',
      '# a comment { with braces }\nquery Q { a(x: "a \\" quoted {", y: -1.5e3, z: [1, 2], w: """block\n"quote" {\n""") @skip(if: true) { ...F } }\nfragment F on T { b }',
      `query Big { ${Array.from({ length: 25 }, (_, index) => `a${index}: secrets { loggedInServices { service isLoggedIn } }`).join(' ')} }`,
      'mutation M($input: StartAuthInput!) { startAuth(input: $input) { authorizationUrl attemptId } }',
    ];
    for (const document of documents) expect(countTokens(document), document).toBe(lexerTokens(document));
  });

  it('weighs a document by its length and its tokens', () => {
    expect(estimatedBytes('{ a }')).toBe(5 + 3 * BYTES_PER_TOKEN);
    expect(estimatedBytes(`${'#'.repeat(10_000)}\n{ a }`)).toBe(10_006 + 3 * BYTES_PER_TOKEN);
  });
});

describe('document caches of a running gateway', () => {
  let gateway: TestGateway;
  let token: string;

  beforeAll(async () => {
    // 0.25 MB: 100 KB for parsed documents and for compiled queries each, 50 KB for parse errors.
    // Documents up to the body limit are let through here (the default refuses over 32 KB unparsed),
    // so one bigger than a cache can be sent.
    gateway = await startTestGateway({ LATCHKEY_DOCUMENT_CACHE_MB: '0.25', LATCHKEY_MAX_QUERY_BYTES: '262144' });
    ({ token } = await gateway.createSite('Caches'));
  });

  afterAll(async () => {
    await gateway?.close();
  });

  const padded = (index: number, kilobytes: number) => `# ${index}\n${`#${'x'.repeat(1023)}\n`.repeat(kilobytes)}{ secrets { github { isLoggedIn } } }`;

  it('stay within their bytes however many distinct documents arrive, and answer each', async () => {
    const { documentCache, errorCache } = gateway.gateway.documentCaches.parserAndValidationCache;
    const { jitCache } = gateway.gateway.documentCaches;
    for (let index = 0; index < 40; index += 1) {
      const answer = await gateway.gql(padded(index, 20), undefined, token);
      expect(answer.body.data.secrets.github.isLoggedIn).toBe(false);
      const broken = await gateway.gql(`{ secrets ${index} ${'x'.repeat(20_000)}`, undefined, token);
      expect(broken.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }
    for (const cache of [documentCache, errorCache, jitCache]) {
      expect(cache.calculatedSize).toBeGreaterThan(0);
      expect(cache.calculatedSize).toBeLessThanOrEqual(cache.maxSize);
    }
    // About 20 KB each: 4 fit in 100 KB, 2 in the 50 KB for errors; the newest are the ones kept.
    expect(documentCache.size).toBeLessThan(6);
    expect(documentCache.has(padded(39, 20))).toBe(true);
    expect(documentCache.has(padded(0, 20))).toBe(false);
    expect(errorCache.size).toBeLessThan(3);
  });

  it('keep a document that is used again, and not one bigger than the cache', async () => {
    const { documentCache } = gateway.gateway.documentCaches.parserAndValidationCache;
    const small = '{ secrets { github { isLoggedIn } } }';
    for (let round = 0; round < 2; round += 1) expect((await gateway.gql(small, undefined, token)).body.data.secrets.github.isLoggedIn).toBe(false);
    expect(documentCache.has(small)).toBe(true);
    const huge = padded(1000, 150);
    expect((await gateway.gql(huge, undefined, token)).body.data.secrets.github.isLoggedIn).toBe(false);
    expect(documentCache.has(huge)).toBe(false);
    expect(documentCache.has(small)).toBe(true);
  });
});

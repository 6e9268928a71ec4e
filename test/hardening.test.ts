// What an attacker or a broken provider tries: redirects from the token endpoint, oversized and
// deeply nested documents. Each gets a clear error with the contract's code and changes nothing.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getIntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from './support/fake-github.js';
import { followRedirects, startTestGateway, type TestGateway } from './support/gateway.js';

let github: FakeGitHub;
let redirector: Server;
let redirectorHits = 0;
let gateway: TestGateway;
let site: { siteId: string; token: string };

beforeAll(async () => {
  github = await startFakeGitHub();
  // A "token endpoint" that answers every request with a redirect to GitHub's real one, the way a
  // hijacked or misconfigured host would try to move the code and client secret elsewhere.
  redirector = createServer((request, response) => {
    redirectorHits += 1;
    request.resume();
    response.writeHead(307, { location: github.env.LATCHKEY_GITHUB_TOKEN_URL! }).end();
  });
  await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
  const { port } = redirector.address() as AddressInfo;
  gateway = await startTestGateway({
    ...github.appEnv,
    LATCHKEY_GITHUB_TOKEN_URL: `http://127.0.0.1:${port}/login/oauth/access_token`,
    LATCHKEY_MAX_QUERY_DEPTH: '4',
  });
  site = await gateway.createSite('Hardening', ['http://app.test:3000']);
});

afterAll(async () => {
  await gateway?.close();
  await github?.close();
  await new Promise((resolve) => redirector?.close(resolve));
});

describe('token endpoint redirects', () => {
  it('are never followed: the code and client secret stay where they were sent', async () => {
    const started = await gateway.gql(
      'mutation { startAuth(input: { service: GITHUB, returnTo: "http://app.test:3000/back" }) { authorizationUrl attemptId } }',
      undefined,
      site.token,
    );
    const { final, cookie } = await followRedirects(started.body.data.startAuth.authorizationUrl, (url) => url.pathname.startsWith('/oauth/callback/'));
    const response = await fetch(final, { redirect: 'manual', headers: { cookie } });
    const back = new URL(response.headers.get('location')!);
    expect(back.searchParams.get('latchkey_status')).toBe('error');
    expect(redirectorHits).toBe(1);
    expect(github.state.tokenRequests).toBe(0);
    const secrets = await gateway.gql('{ secrets { github { isLoggedIn } } }', undefined, site.token);
    expect(secrets.body.data.secrets.github.isLoggedIn).toBe(false);
  });
});

describe('request limits', () => {
  async function post(body: string) {
    const response = await fetch(gateway.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${site.token}` },
      body,
    });
    return { status: response.status, body: await response.json() };
  }

  it('rejects a deeply nested document with BAD_USER_INPUT', async () => {
    // This gateway runs with LATCHKEY_MAX_QUERY_DEPTH=4; the query is 5 deep.
    const result = await post(JSON.stringify({ query: '{ secrets { github { grantedScopes { scopeInfo { title } } } } }' }));
    expect(result.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(result.body.errors[0].message).toMatch(/depth limit of 4/i);
  });

  it('bounds a deeply nested introspection query by its own depth limit', async () => {
    const levels = 600;
    const deep = `{ __schema { types { fields { type ${'{ ofType '.repeat(levels)}{ name }${' }'.repeat(levels)} } } } }`;
    const result = await post(JSON.stringify({ query: deep }));
    expect(result.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(result.body.errors[0].message).toMatch(/depth limit of 30/i);
    expect(result.body.data ?? null).toBeNull();
    expect(result.body.data ?? null).toBeNull();
  });

  it('rejects a document with too many tokens', async () => {
    const fields = Array.from({ length: 400 }, (_, index) => `a${index}: services { service }`).join(' ');
    const result = await post(JSON.stringify({ query: `{ ${fields} }` }));
    expect(result.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(result.body.errors[0].message).toMatch(/token limit/i);
  });

  it('rejects a document over LATCHKEY_MAX_QUERY_BYTES (32 KB) before parsing it, comments included', async () => {
    // Within the token limit (a comment is not a token) and the body limit: only the size refuses it.
    const result = await post(JSON.stringify({ query: `{ services { service } } # ${'x'.repeat(40 * 1024)}` }));
    expect(result.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(result.body.errors[0].message).toMatch(/limit is 32768 \(LATCHKEY_MAX_QUERY_BYTES\)/);
    expect(result.body.data ?? null).toBeNull();
    const within = await post(JSON.stringify({ query: `{ services { service } } # ${'x'.repeat(30 * 1024)}` }));
    expect(within.body.errors).toBeUndefined();
  });

  it('rejects a document with too many aliases', async () => {
    const aliases = Array.from({ length: 40 }, (_, index) => `a${index}: services { service }`).join(' ');
    const result = await post(JSON.stringify({ query: `{ ${aliases} }` }));
    expect(result.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(result.body.errors[0].message).toMatch(/alias/i);
  });

  it('still answers the standard introspection query GraphiQL and codegen send', async () => {
    const result = await post(JSON.stringify({ query: getIntrospectionQuery() }));
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data.__schema.queryType.name).toBe('Query');
  });

  it('rejects a body over the size limit before parsing it', async () => {
    const result = await post(JSON.stringify({ query: `{ services { service } }`, padding: 'x'.repeat(300_000) }));
    expect(result.status).toBe(413);
    expect(result.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
  });

  it('refuses a body of unknown length (chunked) instead of buffering it', async () => {
    const { request } = await import('node:http');
    const url = new URL(gateway.graphqlUrl);
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const outgoing = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (incoming) => {
        let body = '';
        incoming.on('data', (chunk) => (body += chunk));
        incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, body }));
      });
      outgoing.on('error', reject);
      outgoing.write('{"query":');
      outgoing.end('"{ services { service } }"}');
    });
    expect(answer.status).toBe(411);
    expect(JSON.parse(answer.body).errors[0].extensions.code).toBe('BAD_USER_INPUT');
  });

  it('answers a syntax error with BAD_USER_INPUT', async () => {
    const result = await post(JSON.stringify({ query: '{ secrets { github {' }));
    expect(result.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
  });

  it('answers an unknown field with BAD_USER_INPUT and without suggesting field names', async () => {
    const result = await post(JSON.stringify({ query: '{ secret { github { isLoggedIn } } }' }));
    expect(result.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(result.body.errors[0].message).not.toMatch(/Did you mean/);
  });
});

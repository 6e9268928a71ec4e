// @latchkey/functions against a running gateway with GitHub connected through its local fake: what
// getSecrets() and withSecrets() hand a function, in this process and in a plain `node` process like
// a function runtime's, and the errors a misconfigured function gets.
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getSecrets, withSecrets, LatchkeyFunctionsError } from '../packages/latchkey-functions/index.js';
import { startFakeGitHub, type FakeGitHub } from './support/fake-github.js';
import { followRedirects, freePort, startTestGateway, type TestGateway } from './support/gateway.js';
import { connectViaCallback as connectService } from './support/connect.js';
import { defineForgeService } from './support/custom-services.js';

const ORIGIN = 'http://app.test:3000';
const MINT = 'mutation ($input: CreateFunctionTokenInput) { createFunctionToken(input: $input) { token accessToken { id } } }';
const packageEntry = fileURLToPath(new URL('../packages/latchkey-functions/index.js', import.meta.url));

let github: FakeGitHub;
let gateway: TestGateway;
let site: { siteId: string; token: string };
let functionToken: string;
let notGraphQL: Server;
let notGraphQLUrl: string;

async function mint(input: Record<string, unknown>): Promise<{ token: string; id: string }> {
  const result = await gateway.gql(MINT, { input }, site.token);
  if (!result.body.data) throw new Error(JSON.stringify(result.body.errors));
  return { token: result.body.data.createFunctionToken.token, id: result.body.data.createFunctionToken.accessToken.id };
}

async function failure(promise: Promise<unknown>): Promise<LatchkeyFunctionsError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(LatchkeyFunctionsError);
  return error as LatchkeyFunctionsError;
}

beforeAll(async () => {
  github = await startFakeGitHub();
  gateway = await startTestGateway({
    ...github.appEnv,
    // The custom service below is the same local GitHub stand-in, on loopback.
    LATCHKEY_CUSTOM_SERVICE_ALLOW_LOOPBACK: 'true',
  });
  site = await gateway.createSite('Functions', [ORIGIN]);
  await connectService(gateway, site.token, 'GITHUB', `${ORIGIN}/done`);
  functionToken = (await mint({ services: ['GITHUB'], label: 'functions client test' })).token;
  notGraphQL = createServer((_req, res) => res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>Not Found</h1>'));
  await new Promise<void>((resolve) => notGraphQL.listen(0, '127.0.0.1', resolve));
  notGraphQLUrl = `http://127.0.0.1:${(notGraphQL.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await gateway?.close();
  await github?.close();
  await new Promise((resolve) => notGraphQL?.close(resolve));
});

describe('getSecrets', () => {
  it('hands the function the fresh GitHub token, keyed by service field name', async () => {
    const secrets = await getSecrets({ env: { LATCHKEY_URL: gateway.url, LATCHKEY_FUNCTION_TOKEN: functionToken } });
    expect(Object.keys(secrets).sort()).toEqual(expect.arrayContaining(['box', 'contentful', 'github', 'salesforce', 'spotify', 'stripe']));
    expect(secrets.github).toMatchObject({
      service: 'GITHUB',
      isLoggedIn: true,
      bearerToken: github.state.lastToken!.accessToken,
      foreignUserId: String(github.state.user.id),
      grantedScopes: ['read:user'],
    });
    expect(new Date(secrets.github!.expiresAt!).getTime()).toBeGreaterThan(Date.now());
    expect(secrets.spotify).toMatchObject({ isLoggedIn: false, bearerToken: null, grantedScopes: [] });
  });

  it('reads LATCHKEY_URL and LATCHKEY_FUNCTION_TOKEN from process.env by default', async () => {
    const saved = { url: process.env.LATCHKEY_URL, token: process.env.LATCHKEY_FUNCTION_TOKEN };
    process.env.LATCHKEY_URL = `${gateway.url}/`;
    process.env.LATCHKEY_FUNCTION_TOKEN = functionToken;
    try {
      const secrets = await getSecrets();
      expect(secrets.github!.bearerToken).toBe(github.state.lastToken!.accessToken);
    } finally {
      if (saved.url === undefined) delete process.env.LATCHKEY_URL;
      else process.env.LATCHKEY_URL = saved.url;
      if (saved.token === undefined) delete process.env.LATCHKEY_FUNCTION_TOKEN;
      else process.env.LATCHKEY_FUNCTION_TOKEN = saved.token;
    }
  });

  it('shows only the services of its token', async () => {
    const spotifyOnly = await mint({ services: ['SPOTIFY'] });
    const secrets = await getSecrets({ url: gateway.url, token: spotifyOnly.token });
    expect(secrets.github).toMatchObject({ isLoggedIn: false, bearerToken: null });
  });
});

describe('withSecrets', () => {
  it("adds secrets to the runtime's own context object and passes everything else through", async () => {
    class RuntimeContext {
      requestId = 'req-1';
      next() {
        return `next:${this.requestId}`;
      }
    }
    const context = new RuntimeContext();
    const handler = withSecrets(
      async (event: { path: string }, ctx: RuntimeContext & { secrets: Record<string, any> }, callback: string) => ({
        path: event.path,
        next: ctx.next(),
        callback,
        sameContext: ctx === context,
        token: ctx.secrets.github.bearerToken,
      }),
      { url: gateway.url, token: functionToken },
    );
    const result = await handler({ path: '/api/repos' }, context, 'cb');
    expect(result).toEqual({ path: '/api/repos', next: 'next:req-1', callback: 'cb', sameContext: true, token: github.state.lastToken!.accessToken });
  });

  it('makes a context when the runtime passes none', async () => {
    const handler = withSecrets(async (_event: unknown, ctx: { secrets: Record<string, any> }) => ctx.secrets.github.isLoggedIn, {
      url: gateway.url,
      token: functionToken,
    });
    expect(await handler({}, undefined)).toBe(true);
  });

  it('works in a plain node process, as in a function runtime', async () => {
    const script = `
      import { withSecrets } from ${JSON.stringify(packageEntry)};
      const handler = withSecrets(async (event, { secrets }) => ({ statusCode: 200, body: JSON.stringify({ path: event.path, github: secrets.github }) }));
      const response = await handler({ path: '/hello' }, {});
      process.stdout.write(response.body);
    `;
    const output = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ['--input-type=module', '-e', script],
        { env: { PATH: process.env.PATH ?? '', LATCHKEY_URL: gateway.url, LATCHKEY_FUNCTION_TOKEN: functionToken }, timeout: 20_000 },
        (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)),
      );
    });
    const body = JSON.parse(output);
    expect(body.path).toBe('/hello');
    expect(body.github).toMatchObject({ isLoggedIn: true, bearerToken: github.state.lastToken!.accessToken });
  });

  it('fails the invocation with the configuration error before the handler runs', async () => {
    let ran = false;
    const handler = withSecrets(async () => {
      ran = true;
    }, { env: {} });
    const error = await failure(handler({}, {}));
    expect(error.code).toBe('LATCHKEY_CONFIG_MISSING');
    expect(ran).toBe(false);
  });
});

describe('clear errors', () => {
  it.each([
    ['LATCHKEY_URL', { LATCHKEY_FUNCTION_TOKEN: 'lkf_x' }],
    ['LATCHKEY_FUNCTION_TOKEN', { LATCHKEY_URL: 'http://127.0.0.1:1' }],
  ])('names the missing %s', async (variable, env) => {
    const error = await failure(getSecrets({ env }));
    expect(error.code).toBe('LATCHKEY_CONFIG_MISSING');
    expect(error.variable).toBe(variable);
    expect(error.message).toContain(variable);
  });

  it('refuses a LATCHKEY_URL that is no http(s) URL', async () => {
    for (const url of ['latchkey.example.com', 'ftp://latchkey.example.com']) {
      const error = await failure(getSecrets({ url, token: functionToken }));
      expect(error).toMatchObject({ code: 'LATCHKEY_CONFIG_INVALID', variable: 'LATCHKEY_URL' });
    }
  });

  it('reports an unknown, revoked or expired token as UNAUTHENTICATED, without the token', async () => {
    const unknown = 'lkf_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    const error = await failure(getSecrets({ url: gateway.url, token: unknown }));
    expect(error).toMatchObject({ code: 'UNAUTHENTICATED', status: 401 });
    expect(error.message).toContain('LATCHKEY_FUNCTION_TOKEN');
    expect(error.message).not.toContain(unknown);

    const expiring = await mint({ services: ['GITHUB'] });
    await gateway.gateway.db.siteToken.update({ where: { id: expiring.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    const expired = await failure(getSecrets({ url: gateway.url, token: expiring.token }));
    expect(expired.code).toBe('UNAUTHENTICATED');
    expect(expired.message).toMatch(/expired/);
    expect(expired.message).not.toContain(expiring.token);
  });

  it('reports a gateway that cannot be reached', async () => {
    const port = await freePort();
    const error = await failure(getSecrets({ url: `http://127.0.0.1:${port}`, token: functionToken }));
    expect(error.code).toBe('LATCHKEY_NETWORK_ERROR');
    expect(error.message).toContain(`http://127.0.0.1:${port}`);
    expect(error.message).not.toContain(functionToken);
  });

  it('reports a URL that is not a Latchkey gateway', async () => {
    const error = await failure(getSecrets({ url: notGraphQLUrl, token: functionToken }));
    expect(error).toMatchObject({ code: 'LATCHKEY_BAD_RESPONSE', status: 404 });
    expect(error.message).toContain('LATCHKEY_URL');
  });
});

describe('getSecrets with custom services', () => {
  it("hands the function the site's custom services too, keyed by slug", async () => {
    // A site-defined service by its endpoints: here the local GitHub stand-in under another name
    // (last in this file: it issues the stand-in's newest token, which earlier tests compare with).
    const defined = await defineForgeService(gateway, site.token, github);
    expect(defined.body.errors).toBeUndefined();
    const started = await gateway.gql<{ startAuth: { authorizationUrl: string } }>(
      'mutation ($input: StartAuthInput!) { startAuth(input: $input) { authorizationUrl } }',
      { input: { customService: 'forge', returnTo: `${ORIGIN}/done` } },
      site.token,
    );
    const { final, cookie } = await followRedirects(started.body.data!.startAuth.authorizationUrl, (url) => url.pathname.startsWith('/oauth/callback/'));
    const back = await fetch(final, { redirect: 'manual', headers: { cookie } });
    expect(new URL(back.headers.get('location')!).searchParams.get('latchkey_status')).toBe('success');

    const forgeOnly = await mint({ customServices: ['forge'] });
    const secrets = await getSecrets({ url: gateway.url, token: forgeOnly.token });
    expect(secrets.forge).toMatchObject({
      service: 'custom:forge',
      isLoggedIn: true,
      bearerToken: github.state.lastToken!.accessToken,
      grantedScopes: ['read:user'],
    });
    expect(secrets.github).toMatchObject({ isLoggedIn: false, bearerToken: null });
    // A token for other services does not see it at all.
    const githubOnly = await getSecrets({ url: gateway.url, token: functionToken });
    expect(githubOnly.forge).toBeUndefined();
  });
});

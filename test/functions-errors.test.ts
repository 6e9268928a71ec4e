// The errors @latchkey/functions throws are the ones its README promises: every row of the README's
// error table is provoked against a real gateway (or a real socket that is not one) and checked for
// its code, the fix the row names, and the absence of the token; and every code the package and its
// types name is in that table.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getSecrets, LatchkeyFunctionsError } from '../packages/latchkey-functions/index.js';
import { freePort, startTestGateway, type TestGateway } from './support/gateway.js';

const packageFile = (name: string) => readFileSync(new URL(`../packages/latchkey-functions/${name}`, import.meta.url), 'utf8');
const TOKEN_LIMIT_PER_MINUTE = 3;

/** The README's error table: code → "when" text. */
function readmeErrorTable(): Map<string, string> {
  const section = packageFile('README.md').split(/^## Errors$/m)[1] ?? '';
  const rows = new Map<string, string>();
  for (const line of section.split('\n')) {
    const match = /^\| (.+?) \| (.+) \|$/.exec(line);
    if (!match || match[1] === 'code' || match[1]!.startsWith('---')) continue;
    const code = /^`([A-Z_]+)`$/.exec(match[1]!)?.[1] ?? (/any other gateway code/.test(match[1]!) ? 'OTHER' : match[1]!);
    rows.set(code, match[2]!);
  }
  return rows;
}

async function failure(promise: Promise<unknown>): Promise<LatchkeyFunctionsError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(LatchkeyFunctionsError);
  return error as LatchkeyFunctionsError;
}

let gateway: TestGateway;
let functionToken: string;
let notGateway: Server;
let silent: Server;
const urlOf = (server: Server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

beforeAll(async () => {
  gateway = await startTestGateway({ LATCHKEY_RATE_LIMIT_TOKEN_PER_MINUTE: String(TOKEN_LIMIT_PER_MINUTE) });
  const site = await gateway.createSite('Functions errors', ['http://app.test:3000']);
  const minted = await gateway.gql('mutation { createFunctionToken(input: { services: [GITHUB] }) { token } }', undefined, site.token);
  functionToken = minted.body.data.createFunctionToken.token;
  notGateway = createServer((_req, res) => res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>Not Found</h1>'));
  silent = createServer(() => {}); // accepts and never answers
  await Promise.all([notGateway, silent].map((server) => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))));
});

afterAll(async () => {
  await gateway?.close();
  silent?.closeAllConnections();
  await Promise.all([notGateway, silent].map((server) => new Promise((resolve) => server?.close(resolve))));
});

/** For each README row: provoke it, and check what the row promises beyond the code. */
const scenarios: Record<string, () => Promise<void>> = {
  async LATCHKEY_CONFIG_MISSING() {
    for (const [variable, env] of [
      ['LATCHKEY_URL', { LATCHKEY_FUNCTION_TOKEN: 'lkf_secret-looking-value' }],
      ['LATCHKEY_FUNCTION_TOKEN', { LATCHKEY_URL: 'http://127.0.0.1:1' }],
    ] as const) {
      const error = await failure(getSecrets({ env }));
      expect(error).toMatchObject({ code: 'LATCHKEY_CONFIG_MISSING', variable });
      expect(error.message).toMatch(new RegExp(`^${variable} is not set: `));
      expect(error.message).not.toContain('secret-looking-value');
    }
  },
  async LATCHKEY_CONFIG_INVALID() {
    for (const url of ['latchkey.example.com', 'ftp://latchkey.example.com']) {
      const error = await failure(getSecrets({ url, token: functionToken }));
      expect(error).toMatchObject({ code: 'LATCHKEY_CONFIG_INVALID', variable: 'LATCHKEY_URL' });
      expect(error.message).toMatch(/LATCHKEY_URL .*(http\(s\)|https:\/\/)/);
      expect(error.message).not.toContain(functionToken);
    }
  },
  async UNAUTHENTICATED() {
    const unknown = 'lkf_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    const error = await failure(getSecrets({ url: gateway.url, token: unknown, cache: false }));
    expect(error).toMatchObject({ code: 'UNAUTHENTICATED', status: 401 });
    // "mint a new one"
    expect(error.message).toMatch(/LATCHKEY_FUNCTION_TOKEN.*mint a fresh one with createFunctionToken/);
    expect(error.message).not.toContain(unknown);
  },
  async FORBIDDEN() {
    const error = await failure(getSecrets({ url: gateway.url, token: gateway.adminToken, cache: false }));
    expect(error.code).toBe('FORBIDDEN');
    // "use a function token minted with createFunctionToken"
    expect(error.message).toMatch(/LATCHKEY_FUNCTION_TOKEN to a function token .*createFunctionToken/);
    expect(error.message).not.toContain(gateway.adminToken);
  },
  async LATCHKEY_NETWORK_ERROR() {
    const port = await freePort();
    const unreachable = await failure(getSecrets({ url: `http://127.0.0.1:${port}`, token: functionToken, cache: false }));
    expect(unreachable.code).toBe('LATCHKEY_NETWORK_ERROR');
    expect(unreachable.message).toMatch(/could not be reached .*check LATCHKEY_URL/);
    // "did not answer in time (timeoutMs)"
    const slow = await failure(getSecrets({ url: urlOf(silent), token: functionToken, cache: false, timeoutMs: 300 }));
    expect(slow.code).toBe('LATCHKEY_NETWORK_ERROR');
    expect(slow.message).toContain('did not answer within 300 ms');
    for (const error of [unreachable, slow]) expect(error.message).not.toContain(functionToken);
  },
  async LATCHKEY_BAD_RESPONSE() {
    const error = await failure(getSecrets({ url: urlOf(notGateway), token: functionToken, cache: false }));
    expect(error).toMatchObject({ code: 'LATCHKEY_BAD_RESPONSE', status: 404 });
    expect(error.message).toContain('check LATCHKEY_URL');
    expect(error.message).not.toContain(functionToken);
  },
  async OTHER() {
    // The gateway's own refusal passes through: its code, message and status.
    let error: LatchkeyFunctionsError | undefined;
    for (let call = 0; call < TOKEN_LIMIT_PER_MINUTE * 2 && !error; call += 1) {
      error = await getSecrets({ url: gateway.url, token: functionToken, cache: false }).then(
        () => undefined,
        (caught: LatchkeyFunctionsError) => caught,
      );
    }
    expect(error).toBeInstanceOf(LatchkeyFunctionsError);
    expect(error).toMatchObject({ code: 'RATE_LIMITED', status: 429 });
    expect(error!.message.length).toBeGreaterThan(10);
    expect(error!.message).not.toContain(functionToken);
  },
};

describe("@latchkey/functions errors match its README's promises", () => {
  const table = readmeErrorTable();

  it('the README names every code the package throws or types', () => {
    const thrown = new Set([...packageFile('index.js').matchAll(/new LatchkeyFunctionsError\(\s*'([A-Z_]+)'/g)].map((match) => match[1]!));
    // Codes the package passes through from the gateway and singles out.
    for (const match of packageFile('index.js').matchAll(/code === '([A-Z_]+)'/g)) thrown.add(match[1]!);
    const typed = [...(/LatchkeyFunctionsErrorCode =([^;]+);/.exec(packageFile('index.d.ts'))?.[1] ?? '').matchAll(/'([A-Z_]+)'/g)].map((match) => match[1]!);
    expect(thrown.size).toBeGreaterThanOrEqual(4);
    for (const code of [...thrown, ...typed]) expect(table.has(code), `${code} in the README's error table`).toBe(true);
  });

  it('every row of the README table has a scenario here', () => {
    expect([...table.keys()].sort()).toEqual(Object.keys(scenarios).sort());
  });

  for (const code of Object.keys(scenarios)) {
    it(`${code}: thrown as the README says`, async () => {
      expect(table.get(code), `README row for ${code}`).toBeDefined();
      await scenarios[code]!();
    });
  }
});

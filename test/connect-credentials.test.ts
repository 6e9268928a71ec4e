// API-key and Basic connections over real HTTP and a real database: OpenAI (API key as Bearer,
// checked with GET /v1/models) and Twilio (Account SID + Auth Token, checked by fetching the
// account) against one small local fake API. A refusal stores nothing; the credential never shows
// up in an error, a log line or the database in plaintext.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { startTinyServer } from './support/tiny-server.js';

const OPENAI_KEY = `sk-proj-${randomBytes(24).toString('base64url')}`;
const OPENAI_KEY_2 = `sk-proj-${randomBytes(24).toString('base64url')}`;
const OUTAGE_KEY = `sk-outage-${randomBytes(8).toString('hex')}`;
const HANGUP_KEY = `sk-hangup-${randomBytes(8).toString('hex')}`;
const ACCOUNT_SID = `AC${randomBytes(16).toString('hex')}`;
const AUTH_TOKEN = randomBytes(16).toString('hex');

const CONNECT = `mutation ($input: ConnectCredentialsInput!) {
  connectCredentials(input: $input) { id service endUser account credentialType isLoggedIn status bearerToken basicAuth { username password } foreignUserId expiresAt grantedScopes { scope } }
}`;

let api: Awaited<ReturnType<typeof startTinyServer>>;
let gateway: TestGateway;
let site: { siteId: string; token: string };
const bodies: string[] = [];
const authorizations: string[] = [];

async function gql(query: string, variables?: Record<string, unknown>, token = site.token) {
  const result = await gateway.gql(query, variables, token);
  bodies.push(JSON.stringify(result.body));
  return result;
}

const connect = (input: Record<string, unknown>, token = site.token) => gql(CONNECT, { input }, token);

beforeAll(async () => {
  api = await startTinyServer(() => ({
    '/v1/models': (req, res) => {
      const authorization = req.headers.authorization ?? '';
      authorizations.push(authorization);
      if (authorization === `Bearer ${HANGUP_KEY}`) {
        req.socket.destroy();
        return;
      }
      if (authorization === `Bearer ${OUTAGE_KEY}`) {
        res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":{"message":"overloaded"}}');
        return;
      }
      const valid = authorization === `Bearer ${OPENAI_KEY}` || authorization === `Bearer ${OPENAI_KEY_2}`;
      // Like OpenAI, the refusal names (part of) the key it got: the gateway must not pass it on.
      res
        .writeHead(valid ? 200 : 401, { 'content-type': 'application/json' })
        .end(JSON.stringify(valid ? { object: 'list', data: [{ id: 'gpt-test' }] } : { error: { message: `Incorrect API key provided: ${authorization}` } }));
    },
    [`/2010-04-01/Accounts/${ACCOUNT_SID}.json`]: (req, res) => {
      const expected = `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}`;
      const valid = req.headers.authorization === expected;
      res.writeHead(valid ? 200 : 401, { 'content-type': 'application/json' }).end(JSON.stringify(valid ? { sid: ACCOUNT_SID, status: 'active' } : { code: 20003, message: 'Authenticate' }));
    },
  }));
  gateway = await startTestGateway({ LATCHKEY_OPENAI_API_URL: api.base, LATCHKEY_TWILIO_API_URL: api.base });
  site = await gateway.createSite('Keys');
});

afterAll(async () => {
  await gateway?.close();
  await api?.close();
});

describe('API keys', () => {
  it('checks the key with the provider, stores it encrypted, and reads it back as bearerToken', async () => {
    const result = await connect({ service: 'openai', apiKey: OPENAI_KEY });
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data.connectCredentials).toMatchObject({
      service: 'openai',
      endUser: null,
      account: 'default',
      credentialType: 'API_KEY',
      isLoggedIn: true,
      status: 'ACTIVE',
      bearerToken: OPENAI_KEY,
      basicAuth: null,
      expiresAt: null,
    });
    expect(authorizations.at(-1)).toBe(`Bearer ${OPENAI_KEY}`);

    const secrets = await gql('{ secrets { openai { service isLoggedIn bearerToken credentialType } github { isLoggedIn } } }');
    expect(secrets.body.data.secrets).toEqual({
      openai: { service: 'OPENAI', isLoggedIn: true, bearerToken: OPENAI_KEY, credentialType: 'API_KEY' },
      github: { isLoggedIn: false },
    });
    const byKey = await gql('{ secrets { service(service: "openai") { isLoggedIn bearerToken } } }');
    expect(byKey.body.data.secrets.service).toEqual({ isLoggedIn: true, bearerToken: OPENAI_KEY });

    const stored = await gateway.gateway.db.connection.findFirstOrThrow({ where: { siteId: site.siteId, service: 'OPENAI' } });
    expect(stored.grantType).toBe('API_KEY');
    expect(stored.accessToken).not.toContain(OPENAI_KEY);
  });

  it('replaces the stored key when connected again', async () => {
    const result = await connect({ service: 'openai', apiKey: OPENAI_KEY_2 });
    expect(result.body.data.connectCredentials.bearerToken).toBe(OPENAI_KEY_2);
    const rows = await gateway.gateway.db.connection.findMany({ where: { siteId: site.siteId, service: 'OPENAI', ownerType: 'SITE' } });
    expect(rows).toHaveLength(1);
  });

  it('answers PROVIDER_ERROR for a key the provider refuses, stores nothing and never echoes the key', async () => {
    const wrong = `sk-proj-wrong-${randomBytes(12).toString('hex')}`;
    const result = await connect({ service: 'openai', apiKey: wrong, endUser: 'refused-user' });
    expect(result.body.data).toBeNull();
    expect(result.body.errors![0]!.extensions).toMatchObject({ code: 'PROVIDER_ERROR', providerError: 'invalid_credentials', upstreamStatus: 401 });
    expect(result.body.errors![0]!.message).toMatch(/OpenAI refused the API key \(HTTP 401\)/);
    expect(JSON.stringify(result.body)).not.toContain(wrong);
    expect(await gateway.gateway.db.connection.count({ where: { siteId: site.siteId, ownerId: 'refused-user' } })).toBe(0);
    expect(gateway.logs.join('\n')).not.toContain(wrong);
  });

  it('answers UPSTREAM_ERROR when the provider fails or cannot be reached, storing nothing', async () => {
    const outage = await connect({ service: 'openai', apiKey: OUTAGE_KEY, endUser: 'outage-user' });
    expect(outage.body.errors![0]!.extensions).toMatchObject({ code: 'UPSTREAM_ERROR', upstreamStatus: 503 });
    const hangup = await connect({ service: 'openai', apiKey: HANGUP_KEY, endUser: 'outage-user' });
    expect(hangup.body.errors![0]!.extensions!.code).toBe('UPSTREAM_ERROR');
    expect(hangup.body.errors![0]!.message).toMatch(/Could not reach OpenAI/);
    expect(await gateway.gateway.db.connection.count({ where: { siteId: site.siteId, ownerId: 'outage-user' } })).toBe(0);
    const everything = [...bodies, ...gateway.logs].join('\n');
    expect(everything).not.toContain(OUTAGE_KEY);
    expect(everything).not.toContain(HANGUP_KEY);
  });

  it("connects an end user's key apart from the site's", async () => {
    const result = await connect({ service: 'openai', apiKey: OPENAI_KEY, endUser: 'user@example.com' });
    expect(result.body.data.connectCredentials).toMatchObject({ endUser: 'user@example.com', bearerToken: OPENAI_KEY });
    const siteOwn = await gql('{ secrets { openai { bearerToken } } }');
    expect(siteOwn.body.data.secrets.openai.bearerToken).toBe(OPENAI_KEY_2);
  });
});

describe('Basic credentials', () => {
  it('checks the Account SID and Auth Token, and reads them back as basicAuth', async () => {
    const result = await connect({ service: 'twilio', username: ACCOUNT_SID, password: AUTH_TOKEN });
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data.connectCredentials).toMatchObject({
      service: 'twilio',
      credentialType: 'BASIC',
      isLoggedIn: true,
      bearerToken: null,
      basicAuth: { username: ACCOUNT_SID, password: AUTH_TOKEN },
      foreignUserId: ACCOUNT_SID,
    });
    const secrets = await gql('{ secrets { twilio { isLoggedIn bearerToken basicAuth { username password } credentialType } } }');
    expect(secrets.body.data.secrets.twilio).toEqual({
      isLoggedIn: true,
      bearerToken: null,
      basicAuth: { username: ACCOUNT_SID, password: AUTH_TOKEN },
      credentialType: 'BASIC',
    });
    const stored = await gateway.gateway.db.connection.findFirstOrThrow({ where: { siteId: site.siteId, service: 'TWILIO' } });
    expect(stored.accessToken).not.toContain(AUTH_TOKEN);
  });

  it('refuses a wrong Auth Token with PROVIDER_ERROR, and an unknown account too', async () => {
    const wrong = randomBytes(16).toString('hex');
    const refused = await connect({ service: 'twilio', username: ACCOUNT_SID, password: wrong, endUser: 'u-twilio' });
    expect(refused.body.errors![0]!.extensions).toMatchObject({ code: 'PROVIDER_ERROR', providerError: 'invalid_credentials' });
    expect(refused.body.errors![0]!.message).toMatch(/Twilio refused the user name and password/);
    // An unknown account is a 404 at the fake (no such path); Twilio's file lists 404 as a refusal.
    const unknown = await connect({ service: 'twilio', username: 'ACdoesnotexist', password: AUTH_TOKEN, endUser: 'u-twilio' });
    expect(unknown.body.errors![0]!.extensions!.code).toBe('PROVIDER_ERROR');
    expect(JSON.stringify([refused.body, unknown.body])).not.toContain(wrong);
    expect(JSON.stringify(unknown.body)).not.toContain(AUTH_TOKEN);
    expect(await gateway.gateway.db.connection.count({ where: { siteId: site.siteId, ownerId: 'u-twilio' } })).toBe(0);
  });
});

describe('bad input', () => {
  it.each([
    [{ service: 'openai' }, 'BAD_USER_INPUT', /Pass the OpenAI API key/],
    [{ service: 'openai', apiKey: 'has space' }, 'BAD_USER_INPUT', /printable ASCII characters without spaces/],
    [{ service: 'openai', apiKey: 'x'.repeat(5000) }, 'BAD_USER_INPUT', /at most 4096/],
    [{ service: 'openai', apiKey: 'sk-1', username: 'a', password: 'b' }, 'BAD_USER_INPUT', /without username and password/],
    [{ service: 'twilio', username: ACCOUNT_SID }, 'BAD_USER_INPUT', /both username and password/],
    [{ service: 'twilio', username: 'a:b', password: 'p' }, 'BAD_USER_INPUT', /without ":"/],
    [{ service: 'twilio', apiKey: 'sk-1' }, 'BAD_USER_INPUT', /not apiKey/],
    [{ service: 'github', apiKey: 'ghp_x' }, 'BAD_USER_INPUT', /connected with OAuth.*startAuth/],
    [{ service: 'nope', apiKey: 'k' }, 'BAD_USER_INPUT', /Unknown service "nope"/],
    [{ service: 'custom:acme', apiKey: 'k' }, 'NOT_FOUND', /defines no custom service "acme"/],
    [{ service: 'openai', apiKey: 'sk-1', endUser: 'bad user!' }, 'BAD_USER_INPUT', /endUser must be 1 to 128 characters/],
  ])('%j → %s', async (input, code, message) => {
    const before = authorizations.length;
    const result = await connect(input);
    expect(result.body.errors![0]!.extensions!.code).toBe(code);
    expect(result.body.errors![0]!.message).toMatch(message);
    // Nothing is sent to the provider for input that is wrong on its face.
    expect(authorizations.length).toBe(before);
  });

  it('refuses startAuth for an API-key service, naming connectCredentials', async () => {
    const result = await gql('mutation { startAuth(input: { service: OPENAI }) { authorizationUrl } }');
    expect(result.body.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    expect(result.body.errors![0]!.message).toMatch(/OpenAI is connected with an API key, not OAuth: use connectCredentials/);
  });

  it('refuses the client credentials grant for an API-key service, naming connectCredentials', async () => {
    const result = await gql('mutation { connectClientCredentials(input: { service: TWILIO }) { isLoggedIn } }');
    expect(result.body.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    expect(result.body.errors![0]!.message).toMatch(/Twilio is connected with a user name and password, not OAuth: use connectCredentials/);
  });

  it.each([
    ['an unknown input field beside the key', { service: 'openai', apiKey: OPENAI_KEY, label: 'prod' }, /"label" is not defined/],
    ['a key of the wrong type', { service: 'openai', apiKey: [OPENAI_KEY] }, /String/],
    ['a password of the wrong type', { service: 'twilio', username: ACCOUNT_SID, password: { token: AUTH_TOKEN } }, /String/],
  ])('never echoes the credential in the variable error for %s', async (_case, input, message) => {
    const result = await connect(input);
    expect(result.body.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    // What was wrong is still said; the value the caller sent is not repeated.
    expect(result.body.errors![0]!.message).toMatch(message);
    expect(JSON.stringify(result.body)).not.toContain(OPENAI_KEY);
    expect(JSON.stringify(result.body)).not.toContain(AUTH_TOKEN);
  });

  it('needs a token', async () => {
    const result = await gateway.gql(CONNECT, { input: { service: 'openai', apiKey: OPENAI_KEY } }, '');
    expect(result.body.errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
  });
});

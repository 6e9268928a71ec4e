// The client graphql-codegen generates from schema/schema.graphql and client/operations, used
// against a running gateway: if the schema and the server drift apart, this stops compiling or fails.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from '../client/request.js';
import {
  CreateSiteDocument,
  FindLoggedInServicesQueryDocument,
  SecretsDocument,
  ServicesDocument,
  StartAuthDocument,
  type Service,
} from '../client/generated/graphql.js';
import { providerUrlOfAttempt, startTestGateway, type TestGateway } from './support/gateway.js';

let gateway: TestGateway;

beforeAll(async () => {
  gateway = await startTestGateway({ LATCHKEY_SPOTIFY_CLIENT_ID: 'spotify-client', LATCHKEY_SPOTIFY_CLIENT_SECRET: 'spotify-secret' });
});
afterAll(() => gateway?.close());

describe('the generated typed client', () => {
  it('creates a site, lists services, reads secrets and starts an authorization', async () => {
    const created = await request(gateway.graphqlUrl, CreateSiteDocument, { input: { name: 'Typed', allowedOrigins: ['https://typed.example'] } }, gateway.adminToken);
    expect(created.body.errors).toBeUndefined();
    const siteToken = created.body.data!.createSite.siteToken;
    expect(siteToken).toMatch(/^lks_[A-Za-z0-9_-]{43}$/);
    expect(created.body.data!.createSite.site.allowedOrigins).toEqual(['https://typed.example']);

    const services = await request(gateway.graphqlUrl, ServicesDocument, {}, siteToken);
    const names: Service[] = services.body.data!.services.map((service) => service.service);
    expect(names.slice(0, 6)).toEqual(['GITHUB', 'SPOTIFY', 'SALESFORCE', 'STRIPE', 'BOX', 'CONTENTFUL']);
    expect(names.length).toBeGreaterThanOrEqual(50);
    const spotify = services.body.data!.services.find((service) => service.service === 'SPOTIFY')!;
    expect(spotify.availableScopes.some((scope) => scope.isDefault)).toBe(true);

    const secrets = await request(gateway.graphqlUrl, SecretsDocument, {}, siteToken);
    expect(secrets.body.data!.secrets.spotify).toMatchObject({ isLoggedIn: false, bearerToken: null });
    expect(secrets.body.data!.secrets.loggedInServices).toEqual([]);

    const legacy = await request(gateway.graphqlUrl, FindLoggedInServicesQueryDocument, {}, siteToken);
    expect(legacy.body.data!.me.serviceMetadata.loggedInServices).toEqual([]);

    const started = await request(gateway.graphqlUrl, StartAuthDocument, { input: { service: 'SPOTIFY', scopes: ['user-top-read'] } }, siteToken);
    expect(new URL(started.body.data!.startAuth.authorizationUrl).origin).toBe(new URL(gateway.publicUrl).origin);
    const url = await providerUrlOfAttempt(gateway, started.body.data!.startAuth.attemptId);
    expect(url.origin).toBe('https://accounts.spotify.com');
    expect(url.searchParams.get('client_id')).toBe('spotify-client');
    expect(url.searchParams.get('scope')?.split(' ')).toContain('user-top-read');
    expect(url.searchParams.has('code_verifier')).toBe(false);
    expect(url.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

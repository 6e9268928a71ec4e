// Every provider file is validated by one schema: these tests fail when a file lacks a required
// fact or the documentation link of one.
import { describe, expect, it } from 'vitest';

import { catalog, providerFiles, validateCatalog } from '../src/providers/catalog.js';
import { providerFileSchema, requiredDocs, type ProviderFileInput } from '../src/providers/provider-schema.js';
import { apiProfileOf } from '../src/passthrough/api-profiles.js';
import github from '../src/providers/github.js';
import algolia from '../src/providers/algolia.js';
import discord from '../src/providers/discord.js';
import mailgun from '../src/providers/mailgun.js';
import openai from '../src/providers/openai.js';
import salesforce from '../src/providers/salesforce.js';
import shopify from '../src/providers/shopify.js';
import stripe from '../src/providers/stripe.js';
import twilio from '../src/providers/twilio.js';
import typeform from '../src/providers/typeform.js';

function without<T extends object>(value: T, path: string[]): T {
  const copy = structuredClone(value) as Record<string, unknown>;
  let parent = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string, unknown>;
  delete parent[path.at(-1)!];
  return copy as T;
}

function problemsOf(file: ProviderFileInput): string[] {
  const result = providerFileSchema.safeParse(file);
  return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

describe('provider files', () => {
  it.each(providerFiles.map((file) => [file.name, file] as const))('%s is valid and links every fact it declares', (_name, file) => {
    expect(problemsOf(file)).toEqual([]);
    const parsed = providerFileSchema.parse(file);
    for (const fact of requiredDocs(parsed)) expect(parsed.docs[fact], fact).toMatch(/^https:\/\//);
  });

  it('holds at least 50 services, the first eight in their historical order, each once', () => {
    expect(catalog.map((file) => file.name).slice(0, 8)).toEqual(['GITHUB', 'SPOTIFY', 'SALESFORCE', 'STRIPE', 'BOX', 'CONTENTFUL', 'OPENAI', 'TWILIO']);
    expect(catalog.length).toBeGreaterThanOrEqual(50);
    expect(new Set(catalog.map((file) => file.name)).size).toBe(catalog.length);
    expect(catalog.find((file) => file.name === 'OPENAI')?.authModes).toEqual(['API_KEY']);
    expect(catalog.find((file) => file.name === 'TWILIO')?.authModes).toEqual(['BASIC']);
  });

  it.each([
    ['docs.api', github, ['docs', 'api']],
    ['docs.rateLimits', github, ['docs', 'rateLimits']],
    ['docs.authorization', github, ['docs', 'authorization']],
    ['docs.token', github, ['docs', 'token']],
    ['docs.scopes', github, ['docs', 'scopes']],
    ['docs.refresh', github, ['docs', 'refresh']],
    ['docs.revocation', github, ['docs', 'revocation']],
    ['docs.pagination', github, ['docs', 'pagination']],
    ['docs.apiKey', openai, ['docs', 'apiKey']],
    ['docs.credentialCheck', twilio, ['docs', 'credentialCheck']],
  ] as const)('refuses a file without %s', (fact, file, path) => {
    const problems = problemsOf(without(file, [...path]));
    expect(problems).toContainEqual(expect.stringContaining(`${fact} is required`));
  });

  it.each([
    ['the oauth section of an OAuth service', github, ['oauth'], 'need an oauth section'],
    ['the token endpoint', github, ['oauth', 'endpoints', 'token'], 'oauth.endpoints.token'],
    ['the scope catalog', github, ['oauth', 'scopes'], 'oauth.scopes'],
    ['the API base URL', github, ['api', 'baseUrl'], 'api.baseUrl'],
    ['how rate limits are reported', github, ['api', 'rateLimits'], 'api.rateLimits'],
    ['how an API key is sent', openai, ['credentials', 'apiKey'], 'needs credentials.apiKey'],
    ['the connect form', twilio, ['credentials', 'form'], 'credentials.form'],
  ] as const)('refuses a file without %s', (_what, file, path, expected) => {
    expect(problemsOf(without(file, [...path])).join('\n')).toContain(expected);
  });

  it('refuses a documentation link that is not https, a key that is not the lower-case name, and an unknown field', () => {
    expect(problemsOf({ ...github, docs: { ...github.docs, api: 'http://docs.github.com/rest' } }).join('\n')).toContain('docs.api');
    expect(problemsOf({ ...github, key: 'gh' }).join('\n')).toContain('key must be "github"');
    expect(problemsOf({ ...github, revocationUrl: 'https://x.test' } as ProviderFileInput).join('\n')).toContain('revocationUrl');
  });

  it('refuses a separate refresh endpoint on a provider that issues no refresh tokens', () => {
    const oauth = github.oauth!;
    const noRefresh = { ...github, oauth: { ...oauth, supportsRefresh: false, endpoints: { ...oauth.endpoints, refresh: 'https://github.com/refresh' } } };
    expect(problemsOf(noRefresh).join('\n')).toContain('oauth.endpoints.refresh needs oauth.supportsRefresh');
    expect(problemsOf({ ...noRefresh, oauth: { ...noRefresh.oauth, supportsRefresh: true } })).toEqual([]);
  });

  it('stops the start with every problem, naming the file, and refuses a service listed twice', () => {
    const broken = without(openai, ['docs', 'apiKey']);
    expect(() => validateCatalog([github, broken])).toThrow(/OPENAI: docs\.apiKey: docs\.apiKey is required/);
    expect(() => validateCatalog([github, github])).toThrow(/GITHUB: listed twice/);
  });
});

describe('API facts as behaviour', () => {
  const header = (headers: Record<string, string>) => (name: string) => headers[name];
  const now = Date.parse('2026-01-01T00:00:00Z');

  it('reads an OpenAI duration reset and error body from its file', () => {
    const profile = apiProfileOf(providerFileSchema.parse(openai));
    const quota = profile.quota(header({ 'x-ratelimit-limit-requests': '60', 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '6m0s' }));
    expect(quota).toMatchObject({ limit: 60, remaining: 0 });
    expect(profile.rateLimit(429, header({ 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '1m30s' }), {}, now)).toEqual({ waitMs: 90_000 });
    expect(profile.rateLimit(429, header({ 'retry-after': '3' }), {}, now)).toEqual({ waitMs: 3000 });
    expect(profile.rateLimit(401, header({}), {}, now)).toBeNull();
    expect(profile.problem({ error: { message: 'Incorrect API key provided', code: 'invalid_api_key' } })).toEqual({
      message: 'Incorrect API key provided',
      reason: 'invalid_api_key',
    });
  });

  it('reads a reset of unknown unit by its magnitude: seconds to wait, a Unix time in seconds or in milliseconds', () => {
    const profile = apiProfileOf(
      providerFileSchema.parse({
        ...twilio,
        api: {
          ...twilio.api,
          rateLimits: {
            statuses: [429],
            retryAfter: false,
            headers: { limit: 'x-limit', remaining: 'x-remaining', reset: 'x-reset' },
            resetUnit: 'seconds-by-magnitude',
          },
        },
      }),
    );
    const spent = (reset: string) => header({ 'x-limit': '100', 'x-remaining': '0', 'x-reset': reset });
    expect(profile.rateLimit(429, spent('30'), {}, now)).toEqual({ waitMs: 30_000 });
    expect(profile.rateLimit(429, spent('0'), {}, now)).toEqual({ waitMs: 0 });
    expect(profile.rateLimit(429, spent('999999999'), {}, now)).toEqual({ waitMs: 999_999_999_000 });
    expect(profile.rateLimit(429, spent('1000000000'), {}, now)).toEqual({ waitMs: 0 });
    expect(profile.rateLimit(429, spent(String(now / 1000 + 45)), {}, now)).toEqual({ waitMs: 45_000 });
    expect(profile.rateLimit(429, spent(String(now + 12_000)), {}, now)).toEqual({ waitMs: 12_000 });
    // A reset time already past waits nothing; a value that is not a number falls back to the default wait.
    expect(profile.rateLimit(429, spent(String(now / 1000 - 5)), {}, now)).toEqual({ waitMs: 0 });
    expect(profile.rateLimit(429, spent('soon'), {}, now)).toEqual({ waitMs: 60_000 });
    expect(profile.quota(spent(String(now / 1000 + 45)))?.resetAt).toEqual(new Date(now + 45_000));
  });

  it("waits until a 429's reset time when no remaining count says otherwise, reading decimal seconds (Mailgun, Discord)", () => {
    const mailgunProfile = apiProfileOf(providerFileSchema.parse(mailgun));
    const resetIn30 = String(now / 1000 + 30);
    expect(mailgunProfile.rateLimit(429, header({ 'X-RateLimit-Reset': resetIn30 }), { message: 'request limit exceeded' }, now)).toEqual({ waitMs: 30_000 });
    expect(mailgunProfile.rateLimit(429, header({ 'X-RateLimit-Reset': `${now / 1000 + 2}.5` }), {}, now)).toEqual({ waitMs: 2500 });
    expect(mailgunProfile.rateLimit(429, header({ 'X-RateLimit-Reset': resetIn30, 'X-RateLimit-Remaining': '0' }), {}, now)).toEqual({ waitMs: 30_000 });
    // A remaining count above zero means the reset belongs to another limit: the default wait.
    expect(mailgunProfile.rateLimit(429, header({ 'X-RateLimit-Reset': resetIn30, 'X-RateLimit-Remaining': '12' }), {}, now)).toEqual({ waitMs: 60_000 });
    expect(mailgunProfile.rateLimit(429, header({}), {}, now)).toEqual({ waitMs: 60_000 });
    const discordProfile = apiProfileOf(providerFileSchema.parse(discord));
    expect(discordProfile.rateLimit(429, header({ 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset-After': '1.25' }), {}, now)).toEqual({ waitMs: 1250 });
  });

  it("treats Salesforce's 403 REQUEST_LIMIT_EXCEEDED as a limit and any other 403 as a refusal", () => {
    const profile = apiProfileOf(providerFileSchema.parse(salesforce));
    expect(profile.rateLimit(403, header({}), [{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }], now)).toEqual({ waitMs: 60_000 });
    expect(profile.rateLimit(403, header({}), [{ message: 'Insufficient access', errorCode: 'INSUFFICIENT_ACCESS' }], now)).toBeNull();
    expect(profile.rateLimit(403, header({}), 'not json', now)).toBeNull();
    expect(profile.rateLimit(429, header({}), [], now)).toEqual({ waitMs: 60_000 });
    expect(profile.rateLimit(400, header({}), [{ errorCode: 'REQUEST_LIMIT_EXCEEDED' }], now)).toBeNull();
  });

  it("applies GitHub's named secondary-limit heuristic: a 403 waits only when it says rate limit", () => {
    const profile = apiProfileOf(providerFileSchema.parse(github));
    expect(profile.rateLimit(403, header({}), { message: 'Resource not accessible by integration' }, now)).toBeNull();
    expect(profile.rateLimit(403, header({}), { message: 'You have exceeded a secondary rate limit' }, now)).toEqual({ waitMs: 60_000 });
    expect(profile.acceptedScopes?.(header({ 'x-accepted-oauth-scopes': 'repo, public_repo' }))).toEqual(['repo', 'public_repo']);
  });

  // Stripe, Typeform and Shopify do not document whether every 429 names a wait: a Retry-After is
  // honoured when it comes, and without one the file's own wait applies.
  it.each([
    ['Stripe', stripe, 1000],
    ['Typeform', typeform, 1000],
    ['Shopify', shopify, 1000],
  ] as const)('%s: a 429 waits its Retry-After when it has one, else the documented pace', (_name, file, defaultWaitMs) => {
    const profile = apiProfileOf(providerFileSchema.parse(file));
    expect(profile.rateLimit(429, header({ 'retry-after': '7' }), {}, now)).toEqual({ waitMs: 7000 });
    expect(profile.rateLimit(429, header({ 'retry-after': new Date(now + 12_000).toUTCString() }), {}, now)).toEqual({ waitMs: 12_000 });
    expect(profile.rateLimit(429, header({}), {}, now)).toEqual({ waitMs: defaultWaitMs });
    expect(profile.rateLimit(400, header({ 'retry-after': '7' }), {}, now)).toBeNull();
  });

  it('Algolia: a 429 with spent x-ratelimit-* headers waits until their reset, one without them waits the default', () => {
    const profile = apiProfileOf(providerFileSchema.parse(algolia));
    const reset = String(Math.floor(now / 1000) + 90);
    expect(profile.rateLimit(429, header({ 'x-ratelimit-limit': '100', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset }), {}, now)).toEqual({ waitMs: 90_000 });
    expect(profile.quota(header({ 'x-ratelimit-limit': '100', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset }))).toMatchObject({ limit: 100, remaining: 0, resetAt: new Date(now + 90_000) });
    expect(profile.rateLimit(429, header({}), {}, now)).toEqual({ waitMs: 60_000 });
    expect(profile.quota(header({}))).toBeNull();
  });
});

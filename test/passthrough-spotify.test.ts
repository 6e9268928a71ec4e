// Pass-through to Spotify: `spotify { … }` answered from the local Spotify fake with the site's
// stored token, over real HTTP and a real database; offset and cursor pagination, 204s, player
// commands and their refusals, 429 with Retry-After, refresh on 401, and one query reaching GitHub
// and Spotify together.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from './support/fake-github.js';
import { startFakeSpotify, type FakeSpotify } from './support/fake-spotify.js';
import { followRedirects, rateLimitsOf, startTestGateway, type TestGateway } from './support/gateway.js';

const ORIGIN = 'http://app.test:3000';
const ALL_SCOPES = [
  'user-read-private',
  'user-read-email',
  'user-top-read',
  'user-read-recently-played',
  'user-read-currently-playing',
  'playlist-read-private',
  'user-modify-playback-state',
];

let spotify: FakeSpotify;
let github: FakeGitHub;
let gateway: TestGateway;
let site: { siteId: string; token: string };
let spotifyHost: string;
const seenBodies: string[] = [];

async function gql(query: string, variables?: Record<string, unknown>, token = site.token) {
  const result = await gateway.gql(query, variables, token);
  seenBodies.push(JSON.stringify(result.body));
  return result;
}


async function connect(token: string, service: 'SPOTIFY' | 'GITHUB', scopes?: string[]): Promise<void> {
  const started = await gql(
    'mutation ($input: StartAuthInput!) { startAuth(input: $input) { authorizationUrl } }',
    { input: { service, returnTo: `${ORIGIN}/done`, ...(scopes ? { scopes } : {}) } },
    token,
  );
  const { final, cookie } = await followRedirects(started.body.data.startAuth.authorizationUrl, (url) => url.pathname.startsWith('/oauth/callback/'));
  const response = await fetch(final, { redirect: 'manual', headers: { cookie } });
  expect(new URL(response.headers.get('location')!).searchParams.get('latchkey_status')).toBe('success');
}

function requestsTo(path: string, from: number) {
  return spotify.state.apiLog.slice(from).filter((entry) => entry.path.split('?')[0] === path);
}

beforeAll(async () => {
  spotify = await startFakeSpotify();
  github = await startFakeGitHub();
  gateway = await startTestGateway({
    ...spotify.appEnv,
    ...github.appEnv,
    LATCHKEY_RATE_LIMIT_MAX_WAIT_SECONDS: '2',
    // The production default: connection reads cached for a second.
    LATCHKEY_CONNECTION_CACHE_MS: '1000',
  });
  spotifyHost = new URL(spotify.url).host;
  site = await gateway.createSite('Spotify pass-through', [ORIGIN]);
  await connect(site.token, 'SPOTIFY', ALL_SCOPES);
});

afterAll(async () => {
  await gateway?.close();
  await spotify?.close();
  await github?.close();
});

describe('typed Spotify data', () => {
  it('answers the profile from GET /v1/me', async () => {
    const result = await gql('{ spotify { me { id displayName email product country images { url width height } uri url followerCount } } }');
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data.spotify.me).toEqual({
      id: 'latchkeyfakeuser',
      displayName: 'Latchkey Fake User',
      email: 'fake-user@example.com',
      product: 'premium',
      country: 'SE',
      images: [{ url: 'https://i.scdn.co/image/ab67616d00001e02ff9ca10b55ce82ae553c8228', width: 300, height: 300 }],
      uri: 'spotify:user:latchkeyfakeuser',
      url: 'https://open.spotify.com/user/latchkeyfakeuser',
      followerCount: 3,
    });
  });

  it('pages top tracks and artists by offset', async () => {
    const first = await gql('{ spotify { topTracks(limit: 3) { items { name durationMs artists { name } album { name releaseDate images { width } } } total limit offset hasNext nextOffset } } }');
    expect(first.body.errors).toBeUndefined();
    const page = first.body.data.spotify.topTracks;
    expect(page).toMatchObject({ total: 8, limit: 3, offset: 0, hasNext: true, nextOffset: 3 });
    expect(page.items[0]).toEqual({ name: 'Dancing Queen', durationMs: 230_400, artists: [{ name: 'ABBA' }], album: { name: 'Arrival', releaseDate: '1976-10-11', images: [{ width: 640 }, { width: 300 }] } });
    const last = await gql('{ spotify { topTracks(limit: 3, offset: 6) { items { name } hasNext nextOffset } } }');
    expect(last.body.data.spotify.topTracks).toMatchObject({ hasNext: false, nextOffset: null });
    expect(last.body.data.spotify.topTracks.items).toHaveLength(2);

    const artists = await gql('{ spotify { topArtists(limit: 2, timeRange: LONG_TERM) { items { name genres popularity followerCount images { url } } total } } }');
    expect(artists.body.data.spotify.topArtists.total).toBe(3);
    expect(artists.body.data.spotify.topArtists.items[0]).toMatchObject({ name: 'ABBA', genres: ['europop', 'swedish pop'], popularity: 82 });
    expect(requestsTo('/v1/me/top/artists', 0).at(-1)!.path).toContain('time_range=long_term');
  });

  it('walks the listening history with before cursors', async () => {
    const query = 'query ($before: String) { spotify { recentlyPlayed(limit: 3, before: $before) { items { track { name } playedAt contextUri } before after hasNext } } }';
    const newest = (await gql(query)).body.data.spotify.recentlyPlayed;
    expect(newest.items.map((item: { track: { name: string } }) => item.track.name)).toEqual(['Dancing Queen', 'Knowing Me, Knowing You', 'Money, Money, Money']);
    expect(newest.items[0]).toMatchObject({ playedAt: '2026-01-15T20:00:00.000Z', contextUri: 'spotify:album:1M4anG49aEs4YimBdj96Oy' });
    expect(newest.hasNext).toBe(true);
    const older = (await gql(query, { before: newest.before })).body.data.spotify.recentlyPlayed;
    expect(older.items.map((item: { track: { name: string } }) => item.track.name)).toEqual(['Dancing On My Own', 'Call Your Girlfriend', 'Hang With Me']);
    expect(Date.parse(older.items[0].playedAt)).toBeLessThan(Date.parse(newest.items[2].playedAt));

    const both = await gql('{ spotify { recentlyPlayed(before: "1", after: "2") { limit } } }');
    expect(both.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'before' });
  });

  it('answers what plays now, and null when nothing does (204)', async () => {
    const playing = await gql('{ spotify { currentlyPlaying { isPlaying progressMs currentlyPlayingType contextUri item { name uri } } } }');
    expect(playing.body.data.spotify.currentlyPlaying).toEqual({
      isPlaying: true,
      progressMs: 44_272,
      currentlyPlayingType: 'track',
      contextUri: 'spotify:album:7q5CBMmb38ngFkpKTMn1p8',
      item: { name: 'Dancing On My Own', uri: 'spotify:track:0t7fVeEJxO2Xi4H2K5Svc9' },
    });
    const current = spotify.state.player.itemUri;
    spotify.state.player.itemUri = null;
    try {
      const nothing = await gql('{ spotify { currentlyPlaying { isPlaying } } }');
      expect(nothing.body.errors).toBeUndefined();
      expect(nothing.body.data.spotify.currentlyPlaying).toBeNull();
    } finally {
      spotify.state.player.itemUri = current;
    }
  });

  it('lists playlists and reads one with its tracks; a missing one is null', async () => {
    const list = await gql('{ spotify { playlists(limit: 10) { items { id name isPublic trackCount owner { id } } total hasNext } } }');
    expect(list.body.data.spotify.playlists).toEqual({
      items: [
        { id: '3cEYpjA9oz9GiPac4AsH4n', name: 'Swedish Pop Essentials', isPublic: true, trackCount: 6, owner: { id: 'latchkeyfakeuser' } },
        { id: '37i9dQZF1DX4sWSpwq3LiO', name: 'Late Night (private)', isPublic: false, trackCount: 3, owner: { id: 'latchkeyfakeuser' } },
      ],
      total: 2,
      hasNext: false,
    });
    const one = await gql('{ spotify { playlist(id: "3cEYpjA9oz9GiPac4AsH4n") { name description tracks { total items { addedAt track { name } } } } missing: playlist(id: "0000000000000000000000") { name } } }');
    expect(one.body.errors).toBeUndefined();
    expect(one.body.data.spotify.playlist.tracks.total).toBe(6);
    expect(one.body.data.spotify.playlist.tracks.items[0]).toEqual({ addedAt: '2026-01-01T12:00:00.000Z', track: { name: 'Dancing Queen' } });
    expect(one.body.data.spotify.missing).toBeNull();
  });

  it('searches several types at once', async () => {
    const result = await gql('{ spotify { search(query: "dancing", types: [TRACK, ARTIST], limit: 5) { tracks { items { name } total } artists { total } albums { total } } } }');
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data.spotify.search).toEqual({
      tracks: { items: [{ name: 'Dancing Queen' }, { name: 'Dancing On My Own' }], total: 2 },
      artists: { total: 0 },
      albums: null,
    });
    const sent = requestsTo('/v1/search', 0).at(-1)!.path;
    expect(new URL(sent, 'http://x').searchParams.get('type')).toBe('track,artist');
  });

  it('refuses invalid arguments before calling Spotify', async () => {
    const before = spotify.state.apiRequests;
    for (const [query, field] of [
      ['{ spotify { topTracks(limit: 51) { total } } }', 'limit'],
      ['{ spotify { playlist(id: "../me") { name } } }', 'id'],
      ['{ spotify { search(query: "  ") { tracks { total } } } }', 'query'],
      ['mutation { spotify { addToQueue(uri: "spotify:track:../../x") { ok } } }', 'uri'],
      ['mutation { spotify { play(input: { contextUri: "spotify:album:1M4anG49aEs4YimBdj96Oy", uris: ["spotify:track:0GjEhVFGZW8afUYGChu3Rr"] }) { ok } } }', 'uris'],
    ] as const) {
      const result = await gql(query);
      expect(result.body.errors?.[0]?.extensions, query).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
    expect(spotify.state.apiRequests).toBe(before);
  });
});

describe('player commands', () => {
  it('pauses, plays, skips and queues', async () => {
    const paused = await gql('mutation { spotify { pause { ok } } }');
    expect(paused.body).toEqual({ data: { spotify: { pause: { ok: true } } }, extensions: expect.any(Object) });
    expect(spotify.state.player.isPlaying).toBe(false);

    const played = await gql('mutation { spotify { play(input: { uris: ["spotify:track:5ixTVVHDRV4eSsZvjHOd2x"], positionMs: 1000 }) { ok } } }');
    expect(played.body.data.spotify.play.ok).toBe(true);
    expect(spotify.state.player).toMatchObject({ isPlaying: true, itemUri: 'spotify:track:5ixTVVHDRV4eSsZvjHOd2x', progressMs: 1000 });

    const queued = await gql('mutation { spotify { addToQueue(uri: "spotify:track:0GjEhVFGZW8afUYGChu3Rr") { ok } } }');
    expect(queued.body.data.spotify.addToQueue.ok).toBe(true);
    const skipped = await gql('mutation { spotify { skipToNext { ok } } }');
    expect(skipped.body.data.spotify.skipToNext.ok).toBe(true);
    expect(spotify.state.player.itemUri).toBe('spotify:track:0GjEhVFGZW8afUYGChu3Rr');

    const resumed = await gql('mutation { spotify { play { ok } } }');
    expect(resumed.body.data.spotify.play.ok).toBe(true);
    expect(spotify.state.playerCommands).toEqual([
      'PUT /v1/me/player/pause',
      'PUT /v1/me/player/play',
      'POST /v1/me/player/queue',
      'POST /v1/me/player/next',
      'PUT /v1/me/player/play',
    ]);
  });

  it("passes Spotify's refusals on with its status and reason", async () => {
    spotify.state.user.product = 'free';
    try {
      const result = await gql('mutation { spotify { pause { ok } } }');
      expect(result.body.data.spotify.pause).toBeNull();
      expect(result.body.errors?.[0]?.extensions).toMatchObject({ code: 'UPSTREAM_ERROR', service: 'SPOTIFY', upstreamStatus: 403, upstreamReason: 'PREMIUM_REQUIRED' });
      expect(result.body.errors?.[0]?.message).toContain('Premium required');
    } finally {
      spotify.state.user.product = 'premium';
    }
    const device = spotify.state.player.device;
    spotify.state.player.device = null;
    try {
      const result = await gql('mutation { spotify { skipToNext { ok } } }');
      expect(result.body.errors?.[0]?.extensions).toMatchObject({ code: 'UPSTREAM_ERROR', upstreamStatus: 404, upstreamReason: 'NO_ACTIVE_DEVICE' });
    } finally {
      spotify.state.player.device = device;
    }
  });

  it('names a missing scope without calling Spotify', async () => {
    const basic = await gateway.createSite('Basic scopes', [ORIGIN]);
    await connect(basic.token, 'SPOTIFY');
    const before = spotify.state.apiRequests;
    const result = await gql('query { spotify { topTracks { total } recentlyPlayed { limit } } }', undefined, basic.token);
    expect(result.body.errors?.map((error: { extensions?: Record<string, unknown> }) => error.extensions?.missingScopes).sort()).toEqual([['user-read-recently-played'], ['user-top-read']]);
    const pause = await gql('mutation { spotify { pause { ok } } }', undefined, basic.token);
    expect(pause.body.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', service: 'SPOTIFY', missingScopes: ['user-modify-playback-state'] });
    expect(spotify.state.apiRequests).toBe(before);
  });
});

describe('calling Spotify kindly', () => {
  it('makes identical calls of one query once and revalidates a repeated one', async () => {
    const from = spotify.state.apiLog.length;
    const query = '{ spotify { a: me { id } b: me { displayName } } }';
    const first = await gql(query);
    expect(first.body.data.spotify).toEqual({ a: { id: 'latchkeyfakeuser' }, b: { displayName: 'Latchkey Fake User' } });
    const second = await gql(query);
    expect(second.body.data.spotify.b.displayName).toBe('Latchkey Fake User');
    const calls = requestsTo('/v1/me', from);
    expect(calls).toHaveLength(2);
    expect(calls[1]).toMatchObject({ status: 304, conditional: true });
    expect(rateLimitsOf(second)[spotifyHost]).toEqual({ service: 'SPOTIFY', requests: 1, notModified: 1 });
  });

  it('waits out a short 429 and retries once', async () => {
    const from = spotify.state.apiLog.length;
    spotify.state.rateLimitNext(1);
    const result = await gql('{ spotify { playlists { total } } }');
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data.spotify.playlists.total).toBe(2);
    expect(requestsTo('/v1/me/playlists', from).map((entry) => entry.status)).toEqual([429, 200]);
  });

  it('answers RATE_LIMITED with Retry-After beyond the bounded wait, and holds back further calls', async () => {
    const limited = await gateway.createSite('Limited', [ORIGIN]);
    await connect(limited.token, 'SPOTIFY', ALL_SCOPES);
    spotify.state.rateLimitNext(120);
    const result = await gql('{ spotify { topArtists { total } } }', undefined, limited.token);
    expect(result.body.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', service: 'SPOTIFY' });
    expect(result.body.errors?.[0]?.extensions?.retryAfterSeconds).toBeGreaterThan(100);
    expect(result.body.errors?.[0]?.extensions?.retryAfterSeconds).toBeLessThanOrEqual(120);
    const before = spotify.state.apiRequests;
    const again = await gql('{ spotify { me { id } } }', undefined, limited.token);
    expect(again.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect(spotify.state.apiRequests).toBe(before);
  });

  it('refreshes once when Spotify says the token expired, and retries', async () => {
    const current = (await gql('{ secrets { spotify { bearerToken } } }')).body.data.secrets.spotify.bearerToken;
    spotify.state.expireAccessToken(current);
    const refreshesBefore = spotify.state.refreshRequests;
    const from = spotify.state.apiLog.length;
    const result = await gql('{ spotify { me { id } } }');
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data.spotify.me.id).toBe('latchkeyfakeuser');
    expect(spotify.state.refreshRequests).toBe(refreshesBefore + 1);
    // Refused, then accepted with the new token (a 304 when the answer is cached with its ETag).
    const statuses = requestsTo('/v1/me', from).map((entry) => entry.status);
    expect(statuses).toHaveLength(2);
    expect(statuses[0]).toBe(401);
    expect([200, 304]).toContain(statuses[1]);
    const after = (await gql('{ secrets { spotify { bearerToken } } }')).body.data.secrets.spotify.bearerToken;
    expect(after).toBe(spotify.state.lastToken!.accessToken);
  });

  it('answers NOT_LOGGED_IN for a site without a Spotify connection', async () => {
    const other = await gateway.createSite('No Spotify', [ORIGIN]);
    const result = await gql('{ spotify { me { id } } }', undefined, other.token);
    expect(result.body.data.spotify.me).toBeNull();
    expect(result.body.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_LOGGED_IN', service: 'SPOTIFY' });
  });
});

describe('GitHub and Spotify in one query', () => {
  it('answers both namespaces, typed, and reports each host', async () => {
    await connect(site.token, 'GITHUB', ['read:user']);
    const result = await gql(`{
      github { viewer { login name } repository(owner: "octokit-fixture-org", name: "hello-world") { stargazerCount } }
      spotify { me { displayName } topTracks(limit: 2) { items { name artists { name } } } }
    }`);
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data).toEqual({
      github: { viewer: { login: 'octokit-fixture-user-a', name: 'Octokit Fixture User A' }, repository: { stargazerCount: 42 } },
      spotify: {
        me: { displayName: 'Latchkey Fake User' },
        topTracks: { items: [{ name: 'Dancing Queen', artists: [{ name: 'ABBA' }] }, { name: 'I Follow Rivers', artists: [{ name: 'Lykke Li' }] }] },
      },
    });
    expect(Object.keys(rateLimitsOf(result)).sort()).toEqual([new URL(github.url).host, spotifyHost].sort());
    expect(rateLimitsOf(result)[new URL(github.url).host]).toMatchObject({ service: 'GITHUB', requests: 2, limit: 5000 });
  });

  it('keeps one service failing from hiding the other', async () => {
    spotify.state.failNextApiRequest(503);
    const result = await gql('{ github { viewer { login } } spotify { me { id } } }');
    expect(result.body.data.github.viewer.login).toBe('octokit-fixture-user-a');
    expect(result.body.data.spotify.me).toBeNull();
    expect(result.body.errors?.[0]?.extensions).toMatchObject({ code: 'UPSTREAM_ERROR', service: 'SPOTIFY', upstreamStatus: 503 });
  });

  it('keeps every token out of logs and non-token response fields', () => {
    const secrets = [
      spotify.clientSecret,
      github.clientSecret,
      ...spotify.state.issuedTokens.flatMap((token) => [token.accessToken, token.refreshToken]),
      ...github.state.issuedTokens.flatMap((token) => [token.accessToken, token.refreshToken].filter((value): value is string => Boolean(value))),
    ].filter((value) => value.length > 0);
    const logText = gateway.logs.join('\n');
    for (const secret of secrets) expect(logText).not.toContain(secret);
    const withoutBearer = seenBodies.map((body) => body.replace(/"bearerToken":"[^"]*"/g, '')).join('\n');
    for (const secret of secrets) expect(withoutBearer).not.toContain(secret);
  });
});

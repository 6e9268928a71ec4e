// `spotify { … }`: the Spotify Web API through the caller's stored connection, as typed GraphQL.
// Lists paginate as Spotify does: offset and limit (at most 50), or before/after cursors for the
// listening history. A lookup of something that does not exist answers null.
import type { OutputRef } from '@pothos/core';
import { z } from 'zod';
import { builder } from '../builder.js';
import type { GraphQLContext } from '../context.js';
import { apiPath, withQuery } from '../passthrough/api-path.js';
import type { UpstreamSession } from '../passthrough/passthrough.js';
import { toDate, upstream, validate, type UpstreamOwner } from './upstream.js';

// ---------------------------------------------------------------------------------------------
// The Web API shapes read here (the fields used; Spotify sends more).

interface ImageJson {
  url: string;
  width?: number | null;
  height?: number | null;
}

interface ExternalUrls {
  spotify?: string;
}

interface UserJson {
  id: string;
  display_name?: string | null;
  email?: string;
  product?: string;
  country?: string;
  images?: ImageJson[] | null;
  uri: string;
  external_urls?: ExternalUrls;
  followers?: { total?: number | null };
}

interface ArtistJson {
  id: string;
  name: string;
  uri: string;
  external_urls?: ExternalUrls;
  genres?: string[];
  popularity?: number;
  images?: ImageJson[];
  followers?: { total?: number | null };
}

interface AlbumJson {
  id: string;
  name: string;
  uri: string;
  external_urls?: ExternalUrls;
  album_type?: string;
  release_date?: string;
  total_tracks?: number;
  images?: ImageJson[];
  artists?: ArtistJson[];
}

interface TrackJson {
  id: string | null;
  name: string;
  uri: string;
  external_urls?: ExternalUrls;
  duration_ms: number;
  explicit?: boolean;
  popularity?: number;
  preview_url?: string | null;
  track_number?: number;
  is_local?: boolean;
  artists?: ArtistJson[];
  album?: AlbumJson;
  type?: string;
}

interface PagingJson<T> {
  items: T[];
  limit: number;
  offset: number;
  total: number;
  next: string | null;
}

interface PlaylistItemJson {
  added_at?: string | null;
  track?: TrackJson | null;
  item?: TrackJson | null;
}

interface PlaylistJson {
  id: string;
  name: string;
  description?: string | null;
  uri: string;
  external_urls?: ExternalUrls;
  public?: boolean | null;
  collaborative?: boolean;
  owner?: { id: string; display_name?: string | null };
  images?: ImageJson[] | null;
  snapshot_id?: string;
  // Simplified playlists carry {href, total}; a full playlist carries the first page of items.
  tracks?: Partial<PagingJson<PlaylistItemJson>> | null;
  items?: Partial<PagingJson<PlaylistItemJson>> | null;
}

interface PlayHistoryJson {
  track: TrackJson;
  played_at: string;
  context?: { type?: string; uri?: string } | null;
}

interface CursorPagingJson<T> {
  items: T[];
  limit: number;
  next: string | null;
  cursors?: { after?: string | null; before?: string | null } | null;
}

interface CurrentlyPlayingJson {
  is_playing: boolean;
  progress_ms?: number | null;
  timestamp?: number;
  currently_playing_type?: string;
  item?: TrackJson | null;
  context?: { type?: string; uri?: string } | null;
}

interface SearchJson {
  tracks?: PagingJson<TrackJson>;
  artists?: PagingJson<ArtistJson>;
  albums?: PagingJson<AlbumJson>;
  playlists?: PagingJson<PlaylistJson | null>;
}

// ---------------------------------------------------------------------------------------------
// Arguments

const PLAYBACK_SCOPES = ['user-modify-playback-state'] as const;
const limit = z.number().int().min(1, 'must be 1 to 50').max(50, 'must be 1 to 50 (Spotify sends at most 50)');
const offset = (max: number) => z.number().int().min(0, 'must be at least 0').max(max, `must be at most ${max}`);
const spotifyId = z.string().regex(/^[A-Za-z0-9]{1,64}$/, 'must be a Spotify ID (letters and digits)');
const itemUri = z.string().regex(/^spotify:(track|episode):[A-Za-z0-9]{1,64}$/, 'must be a track or episode URI, e.g. spotify:track:4iV5W9uYEdYUVa79Axb7Rh');
const contextUri = z
  .string()
  .regex(/^spotify:(album|artist|playlist|show):[A-Za-z0-9]{1,64}$/, 'must be an album, artist, playlist or show URI, e.g. spotify:album:1Je1IMUlBXcx1Fz0WE7oPT');
const deviceId = z.string().regex(/^[A-Za-z0-9]{1,128}$/, 'must be a Spotify device ID').nullish();
const cursor = z.string().regex(/^\d{1,16}$/, 'must be a cursor from a previous page (a Unix time in milliseconds)').nullish();

const spotify = (context: GraphQLContext, owner: UpstreamOwner = {}): UpstreamSession => upstream(context, 'SPOTIFY', owner);

const urlOf = (value: { external_urls?: ExternalUrls }) => value.external_urls?.spotify ?? null;

// ---------------------------------------------------------------------------------------------
// Types

const SpotifyImageRef = builder.objectRef<ImageJson>('SpotifyImage').implement({
  fields: (t) => ({
    url: t.exposeString('url'),
    width: t.int({ nullable: true, resolve: (image) => image.width ?? null }),
    height: t.int({ nullable: true, resolve: (image) => image.height ?? null }),
  }),
});

const SpotifyUserRef = builder.objectRef<UserJson>('SpotifyUser').implement({
  description: 'A Spotify user profile.',
  fields: (t) => ({
    id: t.exposeID('id'),
    displayName: t.string({ nullable: true, resolve: (user) => user.display_name ?? null }),
    email: t.string({ nullable: true, description: 'Needs the user-read-email scope.', resolve: (user) => user.email ?? null }),
    product: t.string({ nullable: true, description: 'premium, free, …; needs the user-read-private scope.', resolve: (user) => user.product ?? null }),
    country: t.string({ nullable: true, description: 'ISO 3166-1 alpha-2; needs the user-read-private scope.', resolve: (user) => user.country ?? null }),
    images: t.field({ type: [SpotifyImageRef], resolve: (user) => user.images ?? [] }),
    uri: t.exposeString('uri'),
    url: t.string({ nullable: true, resolve: urlOf }),
    followerCount: t.int({ nullable: true, resolve: (user) => user.followers?.total ?? null }),
  }),
});

const SpotifyArtistRef = builder.objectRef<ArtistJson>('SpotifyArtist').implement({
  description: 'An artist. Artists embedded in tracks and albums carry no genres, images or popularity.',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    uri: t.exposeString('uri'),
    url: t.string({ nullable: true, resolve: urlOf }),
    genres: t.stringList({ nullable: true, resolve: (artist) => artist.genres ?? null }),
    popularity: t.int({ nullable: true, resolve: (artist) => artist.popularity ?? null }),
    images: t.field({ type: [SpotifyImageRef], nullable: true, resolve: (artist) => artist.images ?? null }),
    followerCount: t.int({ nullable: true, resolve: (artist) => artist.followers?.total ?? null }),
  }),
});

const SpotifyAlbumRef = builder.objectRef<AlbumJson>('SpotifyAlbum').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    uri: t.exposeString('uri'),
    url: t.string({ nullable: true, resolve: urlOf }),
    albumType: t.string({ nullable: true, resolve: (album) => album.album_type ?? null }),
    releaseDate: t.string({ nullable: true, description: 'YYYY, YYYY-MM or YYYY-MM-DD, as Spotify knows it.', resolve: (album) => album.release_date ?? null }),
    totalTracks: t.int({ nullable: true, resolve: (album) => album.total_tracks ?? null }),
    images: t.field({ type: [SpotifyImageRef], resolve: (album) => album.images ?? [] }),
    artists: t.field({ type: [SpotifyArtistRef], resolve: (album) => album.artists ?? [] }),
  }),
});

const SpotifyTrackRef = builder.objectRef<TrackJson>('SpotifyTrack').implement({
  fields: (t) => ({
    id: t.id({ nullable: true, description: 'Null for local files.', resolve: (track) => track.id }),
    name: t.exposeString('name'),
    uri: t.exposeString('uri'),
    url: t.string({ nullable: true, resolve: urlOf }),
    durationMs: t.int({ resolve: (track) => track.duration_ms }),
    explicit: t.boolean({ resolve: (track) => track.explicit ?? false }),
    popularity: t.int({ nullable: true, resolve: (track) => track.popularity ?? null }),
    previewUrl: t.string({ nullable: true, resolve: (track) => track.preview_url ?? null }),
    trackNumber: t.int({ nullable: true, resolve: (track) => track.track_number ?? null }),
    isLocal: t.boolean({ resolve: (track) => track.is_local ?? false }),
    artists: t.field({ type: [SpotifyArtistRef], resolve: (track) => track.artists ?? [] }),
    album: t.field({ type: SpotifyAlbumRef, nullable: true, resolve: (track) => track.album ?? null }),
  }),
});

interface OffsetPage<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
  hasNext: boolean;
}

function offsetPage<T>(paging: Partial<PagingJson<T | null>> | null | undefined, requested: { limit: number; offset: number }): OffsetPage<T> {
  const items = (paging?.items ?? []).filter((item): item is T => item !== null && item !== undefined);
  return {
    items,
    total: paging?.total ?? items.length,
    limit: paging?.limit ?? requested.limit,
    offset: paging?.offset ?? requested.offset,
    hasNext: Boolean(paging?.next),
  };
}

function pageType<T>(name: string, itemRef: OutputRef<T>) {
  return builder.objectRef<OffsetPage<T>>(name).implement({
    description: `One page of an offset-paginated list: ask for the next with offset = offset + limit while hasNext.`,
    fields: (t) => ({
      items: t.field({ type: [itemRef], resolve: (page) => page.items }),
      total: t.exposeInt('total'),
      limit: t.exposeInt('limit'),
      offset: t.exposeInt('offset'),
      hasNext: t.exposeBoolean('hasNext'),
      nextOffset: t.int({ nullable: true, resolve: (page) => (page.hasNext ? page.offset + page.limit : null) }),
    }),
  });
}

const SpotifyTrackPageRef = pageType<TrackJson>('SpotifyTrackPage', SpotifyTrackRef);
const SpotifyArtistPageRef = pageType<ArtistJson>('SpotifyArtistPage', SpotifyArtistRef);
const SpotifyAlbumPageRef = pageType<AlbumJson>('SpotifyAlbumPage', SpotifyAlbumRef);

interface PlaylistTrack {
  addedAt: Date | null;
  track: TrackJson | null;
}

const SpotifyPlaylistTrackRef = builder.objectRef<PlaylistTrack>('SpotifyPlaylistTrack').implement({
  fields: (t) => ({
    addedAt: t.field({ type: 'DateTime', nullable: true, resolve: (item) => item.addedAt }),
    track: t.field({ type: SpotifyTrackRef, nullable: true, description: 'Null for podcast episodes and removed tracks.', resolve: (item) => item.track }),
  }),
});

const SpotifyPlaylistTrackPageRef = pageType<PlaylistTrack>('SpotifyPlaylistTrackPage', SpotifyPlaylistTrackRef);

const SpotifyPlaylistOwnerRef = builder.objectRef<{ id: string; display_name?: string | null }>('SpotifyPlaylistOwner').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    displayName: t.string({ nullable: true, resolve: (owner) => owner.display_name ?? null }),
  }),
});

const playlistItems = (playlist: PlaylistJson) => playlist.tracks ?? playlist.items ?? null;

const SpotifyPlaylistRef = builder.objectRef<PlaylistJson>('SpotifyPlaylist').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    description: t.string({ nullable: true, resolve: (playlist) => playlist.description || null }),
    uri: t.exposeString('uri'),
    url: t.string({ nullable: true, resolve: urlOf }),
    isPublic: t.boolean({ nullable: true, resolve: (playlist) => playlist.public ?? null }),
    isCollaborative: t.boolean({ resolve: (playlist) => playlist.collaborative ?? false }),
    owner: t.field({ type: SpotifyPlaylistOwnerRef, nullable: true, resolve: (playlist) => playlist.owner ?? null }),
    images: t.field({ type: [SpotifyImageRef], resolve: (playlist) => playlist.images ?? [] }),
    snapshotId: t.string({ nullable: true, resolve: (playlist) => playlist.snapshot_id ?? null }),
    trackCount: t.int({ nullable: true, resolve: (playlist) => playlistItems(playlist)?.total ?? null }),
    tracks: t.field({
      type: SpotifyPlaylistTrackPageRef,
      nullable: true,
      description: 'The first page of tracks (up to 100); only on spotify { playlist(id) }.',
      resolve: (playlist) => {
        const items = playlistItems(playlist);
        if (!items || !Array.isArray(items.items)) return null;
        const page = offsetPage(items, { limit: items.items.length, offset: 0 });
        return {
          ...page,
          items: page.items.map((item) => ({ addedAt: toDate(item.added_at), track: (item.track ?? item.item)?.type === 'episode' ? null : (item.track ?? item.item ?? null) })),
        };
      },
    }),
  }),
});

const SpotifyPlaylistPageRef = pageType<PlaylistJson>('SpotifyPlaylistPage', SpotifyPlaylistRef);

interface PlayHistoryPage {
  items: PlayHistoryJson[];
  limit: number;
  hasNext: boolean;
  before: string | null;
  after: string | null;
}

const SpotifyPlayHistoryRef = builder.objectRef<PlayHistoryJson>('SpotifyPlayHistory').implement({
  fields: (t) => ({
    track: t.field({ type: SpotifyTrackRef, resolve: (entry) => entry.track }),
    playedAt: t.field({ type: 'DateTime', resolve: (entry) => new Date(entry.played_at) }),
    contextUri: t.string({ nullable: true, description: 'The album, playlist or artist it was played from.', resolve: (entry) => entry.context?.uri ?? null }),
  }),
});

const SpotifyPlayHistoryPageRef = builder.objectRef<PlayHistoryPage>('SpotifyPlayHistoryPage').implement({
  description: 'One page of the listening history, newest first: pass `before` to go further back.',
  fields: (t) => ({
    items: t.field({ type: [SpotifyPlayHistoryRef], resolve: (page) => page.items }),
    limit: t.exposeInt('limit'),
    hasNext: t.exposeBoolean('hasNext'),
    before: t.string({ nullable: true, description: 'Cursor for older plays (pass as recentlyPlayed(before: …)).', resolve: (page) => page.before }),
    after: t.string({ nullable: true, description: 'Cursor for newer plays (pass as recentlyPlayed(after: …)).', resolve: (page) => page.after }),
  }),
});

const SpotifyCurrentlyPlayingRef = builder.objectRef<CurrentlyPlayingJson>('SpotifyCurrentlyPlaying').implement({
  fields: (t) => ({
    isPlaying: t.boolean({ resolve: (playing) => playing.is_playing }),
    progressMs: t.int({ nullable: true, resolve: (playing) => playing.progress_ms ?? null }),
    currentlyPlayingType: t.string({ nullable: true, description: 'track, episode, ad or unknown.', resolve: (playing) => playing.currently_playing_type ?? null }),
    item: t.field({
      type: SpotifyTrackRef,
      nullable: true,
      description: 'The track; null for episodes and ads.',
      resolve: (playing) => (playing.item && playing.item.type !== 'episode' ? playing.item : null),
    }),
    contextUri: t.string({ nullable: true, resolve: (playing) => playing.context?.uri ?? null }),
  }),
});

const SpotifyTimeRangeEnum = builder.enumType('SpotifyTimeRange', {
  description: 'About 4 weeks, 6 months, or about a year of listening.',
  values: ['SHORT_TERM', 'MEDIUM_TERM', 'LONG_TERM'] as const,
});

const SpotifySearchTypeEnum = builder.enumType('SpotifySearchType', { values: ['TRACK', 'ARTIST', 'ALBUM', 'PLAYLIST'] as const });

interface SearchResult {
  json: SearchJson;
  requested: { limit: number; offset: number };
}

const SpotifySearchResultRef = builder.objectRef<SearchResult>('SpotifySearchResult').implement({
  description: 'Matches of each requested type; a type not requested is null.',
  fields: (t) => ({
    tracks: t.field({ type: SpotifyTrackPageRef, nullable: true, resolve: (result) => (result.json.tracks ? offsetPage(result.json.tracks, result.requested) : null) }),
    artists: t.field({ type: SpotifyArtistPageRef, nullable: true, resolve: (result) => (result.json.artists ? offsetPage(result.json.artists, result.requested) : null) }),
    albums: t.field({ type: SpotifyAlbumPageRef, nullable: true, resolve: (result) => (result.json.albums ? offsetPage(result.json.albums, result.requested) : null) }),
    playlists: t.field({
      type: SpotifyPlaylistPageRef,
      nullable: true,
      resolve: (result) => (result.json.playlists ? offsetPage<PlaylistJson>(result.json.playlists, result.requested) : null),
    }),
  }),
});

// ---------------------------------------------------------------------------------------------
// Query: spotify { me topTracks topArtists recentlyPlayed currentlyPlaying playlists playlist search }

const topArgs = z.object({ limit, offset: offset(10_000) });

async function top<T>(session: UpstreamSession, kind: 'tracks' | 'artists', args: { limit: number; offset: number; timeRange: string }): Promise<OffsetPage<T>> {
  const requested = validate(topArgs, { limit: args.limit, offset: args.offset });
  const path = withQuery(apiPath`/v1/me/top/${kind}`, { time_range: args.timeRange.toLowerCase(), limit: requested.limit, offset: requested.offset });
  const result = await session.get<PagingJson<T>>(path, { scopes: ['user-top-read'] });
  return offsetPage(result.data, requested);
}

const SpotifyQueryRef = builder.objectRef<UpstreamSession>('SpotifyQuery').implement({
  description: "Spotify's Web API with the site's stored Spotify connection.",
  fields: (t) => ({
    me: t.field({
      type: SpotifyUserRef,
      nullable: true,
      description: 'The connected Spotify user.',
      resolve: async (session) => (await session.get<UserJson>('/v1/me')).data,
    }),
    topTracks: t.field({
      type: SpotifyTrackPageRef,
      nullable: true,
      description: "The user's top tracks (needs user-top-read).",
      args: {
        limit: t.arg.int({ required: true, defaultValue: 20, description: '1 to 50.' }),
        offset: t.arg.int({ required: true, defaultValue: 0 }),
        timeRange: t.arg({ type: SpotifyTimeRangeEnum, required: true, defaultValue: 'MEDIUM_TERM' }),
      },
      resolve: (session, args) => top<TrackJson>(session, 'tracks', args),
    }),
    topArtists: t.field({
      type: SpotifyArtistPageRef,
      nullable: true,
      description: "The user's top artists (needs user-top-read).",
      args: {
        limit: t.arg.int({ required: true, defaultValue: 20, description: '1 to 50.' }),
        offset: t.arg.int({ required: true, defaultValue: 0 }),
        timeRange: t.arg({ type: SpotifyTimeRangeEnum, required: true, defaultValue: 'MEDIUM_TERM' }),
      },
      resolve: (session, args) => top<ArtistJson>(session, 'artists', args),
    }),
    recentlyPlayed: t.field({
      type: SpotifyPlayHistoryPageRef,
      nullable: true,
      description: 'Recently played tracks, newest first (needs user-read-recently-played). Give at most one of before and after.',
      args: {
        limit: t.arg.int({ required: true, defaultValue: 20, description: '1 to 50.' }),
        before: t.arg.string({ required: false }),
        after: t.arg.string({ required: false }),
      },
      resolve: async (session, args) => {
        const parsed = validate(
          z.object({ limit, before: cursor, after: cursor }).refine((value) => !(value.before && value.after), {
            message: 'give at most one of before and after',
            path: ['before'],
          }),
          args,
        );
        const path = withQuery('/v1/me/player/recently-played', { limit: parsed.limit, before: parsed.before, after: parsed.after });
        const { data } = await session.get<CursorPagingJson<PlayHistoryJson>>(path, { scopes: ['user-read-recently-played'] });
        return {
          items: data?.items ?? [],
          limit: data?.limit ?? parsed.limit,
          hasNext: Boolean(data?.next),
          before: data?.cursors?.before ?? null,
          after: data?.cursors?.after ?? null,
        };
      },
    }),
    currentlyPlaying: t.field({
      type: SpotifyCurrentlyPlayingRef,
      nullable: true,
      description: 'What plays now; null when nothing does (needs user-read-currently-playing or user-read-playback-state).',
      resolve: async (session) => {
        const result = await session.get<CurrentlyPlayingJson | null>('/v1/me/player/currently-playing', {
          scopes: [['user-read-currently-playing', 'user-read-playback-state']],
        });
        // 204 No Content: nothing is playing.
        return result.status === 204 || !result.data ? null : result.data;
      },
    }),
    playlists: t.field({
      type: SpotifyPlaylistPageRef,
      nullable: true,
      description: "The user's playlists (private ones need playlist-read-private).",
      args: {
        limit: t.arg.int({ required: true, defaultValue: 20, description: '1 to 50.' }),
        offset: t.arg.int({ required: true, defaultValue: 0 }),
      },
      resolve: async (session, args) => {
        const requested = validate(z.object({ limit, offset: offset(100_000) }), args);
        const { data } = await session.get<PagingJson<PlaylistJson | null>>(withQuery('/v1/me/playlists', requested));
        return offsetPage<PlaylistJson>(data, requested);
      },
    }),
    playlist: t.field({
      type: SpotifyPlaylistRef,
      nullable: true,
      description: 'A playlist with its first tracks; null when there is none.',
      args: { id: t.arg.id({ required: true }) },
      resolve: async (session, args) => {
        const id = validate(z.object({ id: spotifyId }), { id: String(args.id) }).id;
        return (await session.find<PlaylistJson>(apiPath`/v1/playlists/${id}`))?.data ?? null;
      },
    }),
    search: t.field({
      type: SpotifySearchResultRef,
      nullable: true,
      description: "Spotify's catalog search (Spotify's query syntax, e.g. `artist:Abba year:1976`).",
      args: {
        query: t.arg.string({ required: true }),
        types: t.arg({ type: [SpotifySearchTypeEnum], required: true, defaultValue: ['TRACK'] }),
        limit: t.arg.int({ required: true, defaultValue: 10, description: '1 to 50 per type.' }),
        offset: t.arg.int({ required: true, defaultValue: 0, description: '0 to 1000.' }),
      },
      resolve: async (session, args) => {
        const parsed = validate(
          z.object({
            query: z.string().trim().min(1, 'must not be empty').max(500, 'must be at most 500 characters'),
            types: z.array(z.string()).min(1, 'name at least one type'),
            limit,
            offset: offset(1000),
          }),
          args,
        );
        const path = withQuery('/v1/search', {
          q: parsed.query,
          type: [...new Set(parsed.types)].map((type) => type.toLowerCase()).join(','),
          limit: parsed.limit,
          offset: parsed.offset,
        });
        const { data } = await session.get<SearchJson>(path);
        return { json: data ?? {}, requested: { limit: parsed.limit, offset: parsed.offset } };
      },
    }),
  }),
});

builder.queryField('spotify', (t) =>
  t.field({
    type: SpotifyQueryRef,
    authScopes: { site: true },
    description: "Spotify through the site's stored connection (the token never leaves the gateway).",
    args: {
      endUser: t.arg.string({ required: false, description: "One of the site's end users, whose connection is used; omitted: the token's own owner." }),
      account: t.arg.string({ required: false, description: 'One of the owner\'s accounts (the provider user id, or "default"); omitted: the most recently connected one.' }),
    },
    resolve: (_root, args, context) => spotify(context, args),
  }),
);

// ---------------------------------------------------------------------------------------------
// Mutation: spotify { play pause skipToNext addToQueue }

const SpotifyPlayInput = builder.inputType('SpotifyPlayInput', {
  description: 'What to play: a context (album, artist, playlist, show) or a list of track URIs; neither resumes playback.',
  fields: (t) => ({
    contextUri: t.string({ required: false }),
    uris: t.stringList({ required: false }),
    offsetPosition: t.int({ required: false, description: 'Start at this position of the context (from 0).' }),
    positionMs: t.int({ required: false }),
    deviceId: t.string({ required: false, description: 'Default: the active device.' }),
  }),
});

const SpotifyPlayerCommandPayloadRef = builder.objectRef<{ ok: boolean }>('SpotifyPlayerCommandPayload').implement({
  fields: (t) => ({
    ok: t.exposeBoolean('ok', { description: 'True when Spotify accepted the command.' }),
  }),
});

const playArgs = z
  .object({
    contextUri: contextUri.nullish(),
    uris: z.array(itemUri).max(100, 'at most 100 URIs').nullish(),
    offsetPosition: z.number().int().min(0).nullish(),
    positionMs: z.number().int().min(0).nullish(),
    deviceId,
  })
  .refine((value) => !(value.contextUri && value.uris?.length), { message: 'give contextUri or uris, not both', path: ['uris'] });

const withDevice = (path: string, device: string | null | undefined, query: Record<string, string> = {}) =>
  withQuery(path, { ...query, device_id: device ?? undefined });

const SpotifyMutationRef = builder.objectRef<UpstreamSession>('SpotifyMutation').implement({
  description: "Playback control with the site's stored Spotify connection (needs user-modify-playback-state and, at Spotify, a Premium account and an active device).",
  fields: (t) => {
    /** A player command that takes only the optional device: the same call but for its method and path. */
    const deviceCommand = (method: 'PUT' | 'POST', path: string) =>
      t.field({
        type: SpotifyPlayerCommandPayloadRef,
        nullable: true,
        args: { deviceId: t.arg.string({ required: false }) },
        resolve: async (session, args) => {
          const device = validate(z.object({ deviceId }), args).deviceId;
          await session.send(method, withDevice(path, device), { scopes: PLAYBACK_SCOPES });
          return { ok: true };
        },
      });
    return {
      play: t.field({
        type: SpotifyPlayerCommandPayloadRef,
        nullable: true,
        args: { input: t.arg({ type: SpotifyPlayInput, required: false }) },
        resolve: async (session, args) => {
          const input = validate(playArgs, args.input ?? {});
          const body: Record<string, unknown> = {};
          if (input.contextUri) body.context_uri = input.contextUri;
          if (input.uris?.length) body.uris = input.uris;
          if (input.offsetPosition !== null && input.offsetPosition !== undefined) body.offset = { position: input.offsetPosition };
          if (input.positionMs !== null && input.positionMs !== undefined) body.position_ms = input.positionMs;
          await session.send('PUT', withDevice('/v1/me/player/play', input.deviceId), {
            body: Object.keys(body).length > 0 ? body : undefined,
            scopes: PLAYBACK_SCOPES,
          });
          return { ok: true };
        },
      }),
      pause: deviceCommand('PUT', '/v1/me/player/pause'),
      skipToNext: deviceCommand('POST', '/v1/me/player/next'),
      addToQueue: t.field({
        type: SpotifyPlayerCommandPayloadRef,
        nullable: true,
        args: { uri: t.arg.string({ required: true, description: 'A track or episode URI.' }), deviceId: t.arg.string({ required: false }) },
        resolve: async (session, args) => {
          const parsed = validate(z.object({ uri: itemUri, deviceId }), args);
          await session.send('POST', withDevice('/v1/me/player/queue', parsed.deviceId, { uri: parsed.uri }), { scopes: PLAYBACK_SCOPES });
          return { ok: true };
        },
      }),
    };
  },
});

builder.mutationField('spotify', (t) =>
  t.field({
    type: SpotifyMutationRef,
    authScopes: { site: true },
    description: "Playback control through the site's stored Spotify connection.",
    args: {
      endUser: t.arg.string({ required: false, description: "One of the site's end users, whose connection is used; omitted: the token's own owner." }),
      account: t.arg.string({ required: false, description: 'One of the owner\'s accounts (the provider user id, or "default"); omitted: the most recently connected one.' }),
    },
    resolve: (_root, args, context) => spotify(context, args),
  }),
);

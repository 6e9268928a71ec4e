// Admin commands that work on the configured database directly (no running gateway needed):
// `site list`, `site token SITE`, `connections`, `audit`, `doctor`. Each says which database it
// uses, so running one from another folder cannot silently read (or create) a second one.
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Config } from '../config.js';
import { databaseProviderFromUrl, openDatabase, pendingMigrations, redactDatabaseUrl, sqliteFilePath, type Database } from '../db/database.js';
import { displayPrefix, generateId, generateOpaqueToken, hashOpaqueToken, SITE_TOKEN_PREFIX } from '../crypto/opaque-token.js';
import { didYouMean } from './suggest.js';

export interface AdminIo {
  out(line: string): void;
  err(line: string): void;
}

export class UsageError extends Error {}

export const adminUsage = {
  siteList: `latchkey site list
  Lists every site: id, name, allowed origins, active site tokens, connections.`,
  siteToken: `latchkey site token SITE [--label TEXT]
  Issues a new site token for SITE (its id or exact name) and prints it once: the way back for a
  site that revoked or lost its last token. Existing tokens stay valid.`,
  connections: `latchkey connections [--site SITE] [--status STATUS] [--service SERVICE]
  Lists connections (never their tokens): id, site, service, status, expiry, refresh failures, last
  error. STATUS: ACTIVE, REFRESHING, NEEDS_REAUTH or REVOKED.`,
  audit: `latchkey audit [--site SITE] [--since WHEN] [--type TYPE]
  Prints audit events as JSON lines, oldest first, for export. WHEN: an ISO date (2026-01-31,
  2026-01-31T12:00:00Z) or a duration back from now (30m, 24h, 7d).`,
  doctor: `latchkey doctor
  Checks the encryption key, the database, its migrations, the public URL and each configured
  provider's endpoints, and says how to fix what is wrong. Exit code 1 when something is.`,
};

export const CONNECTION_STATUSES = ['ACTIVE', 'REFRESHING', 'NEEDS_REAUTH', 'REVOKED'] as const;

/** "Using the database …" on stderr, and the refusal to create an empty SQLite file by accident. */
export function describeDatabase(config: Config, io: AdminIo, options: { mustExist: boolean }): void {
  const provider = databaseProviderFromUrl(config.databaseUrl);
  const where = provider === 'sqlite' ? sqliteFilePath(config.databaseUrl) : redactDatabaseUrl(config.databaseUrl);
  io.err(`Using the ${provider === 'sqlite' ? 'SQLite' : 'PostgreSQL'} database ${where} (DATABASE_URL).`);
  if (options.mustExist && provider === 'sqlite' && where !== ':memory:' && !existsSync(where)) {
    throw new UsageError(
      `There is no database at ${where}. Run this command in the folder where the gateway runs (where npm start created data/), or set DATABASE_URL to its file.`,
    );
  }
}

async function openExisting(config: Config, io: AdminIo): Promise<Database> {
  describeDatabase(config, io, { mustExist: true });
  const pending = await pendingMigrations(config.databaseUrl);
  if (pending.length) throw new UsageError(`The database lacks ${pending.length} migration(s) (${pending.join(', ')}): run "npx latchkey migrate" first.`);
  return openDatabase(config.databaseUrl);
}

export async function withDatabase<T>(config: Config, io: AdminIo, run: (db: Database) => Promise<T>): Promise<T> {
  const db = await openExisting(config, io);
  try {
    return await run(db);
  } finally {
    await db.$disconnect();
  }
}

type Values = Record<string, string | boolean | undefined>;

function parse(args: string[], names: readonly string[], usage: string): { values: Values; positionals: string[] } {
  const options = Object.fromEntries(names.map((name) => [name, { type: 'string' as const }]));
  try {
    const { values, positionals } = parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
    return { values: values as Values, positionals };
  } catch (error) {
    throw new UsageError(`${error instanceof Error ? error.message : String(error)}\nUsage: ${usage}`);
  }
}

/** A site by id, or by exact name when that is unique. */
async function findSite(db: Database, key: string) {
  const byId = await db.site.findUnique({ where: { id: key } });
  if (byId) return byId;
  const byName = await db.site.findMany({ where: { name: key }, take: 2 });
  if (byName.length === 1) return byName[0]!;
  if (byName.length > 1) throw new UsageError(`Several sites are named "${key}": pass the site's id (see "npx latchkey site list").`);
  throw new UsageError(`No site "${key}": pass a site id or exact name from "npx latchkey site list".`);
}

export async function siteListCommand(config: Config, args: string[], io: AdminIo): Promise<number> {
  const { values } = parse(args, [], adminUsage.siteList);
  if (values.help) return io.out(adminUsage.siteList), 0;
  return withDatabase(config, io, async (db) => {
    const sites = await db.site.findMany({
      orderBy: { createdAt: 'asc' },
      include: { _count: { select: { connections: true } }, tokens: { where: { kind: 'SITE', revokedAt: null }, select: { id: true } } },
    });
    if (!sites.length) io.err('No sites yet: create one with "npx latchkey site create NAME".');
    for (const site of sites) {
      const origins = (site.allowedOrigins as string[]).join(',') || '-';
      io.out([site.id, JSON.stringify(site.name), origins, `siteTokens=${site.tokens.length}`, `connections=${site._count.connections}`, site.createdAt.toISOString()].join('\t'));
    }
    return 0;
  });
}

export async function siteTokenCommand(config: Config, args: string[], io: AdminIo): Promise<number> {
  const { values, positionals } = parse(args, ['label'], adminUsage.siteToken);
  if (values.help) return io.out(adminUsage.siteToken), 0;
  const key = positionals.join(' ');
  if (!key) throw new UsageError(`site token needs a SITE.\nUsage: ${adminUsage.siteToken}`);
  return withDatabase(config, io, async (db) => {
    const site = await findSite(db, key);
    const token = generateOpaqueToken(SITE_TOKEN_PREFIX);
    const label = typeof values.label === 'string' ? values.label.slice(0, 200) : 'issued by latchkey site token';
    const id = generateId('tok');
    await db.siteToken.create({ data: { id, siteId: site.id, kind: 'SITE', tokenHash: hashOpaqueToken(token), prefix: displayPrefix(token), label } });
    await db.auditEvent.create({ data: { id: generateId('evt'), siteId: site.id, type: 'token.created', detail: { tokenId: id, kind: 'SITE', via: 'cli' } } });
    io.err(`Issued a new site token for "${site.name}" (${site.id}). It is shown only this once; store it as a secret:`);
    io.out(token);
    return 0;
  });
}

export async function connectionsCommand(config: Config, args: string[], io: AdminIo): Promise<number> {
  const { values } = parse(args, ['site', 'status', 'service'], adminUsage.connections);
  if (values.help) return io.out(adminUsage.connections), 0;
  const status = typeof values.status === 'string' ? values.status.toUpperCase() : undefined;
  if (status && !(CONNECTION_STATUSES as readonly string[]).includes(status)) {
    throw new UsageError(`Unknown status "${values.status}".${didYouMean(status, CONNECTION_STATUSES)}`);
  }
  let service = typeof values.service === 'string' ? values.service : undefined;
  if (service) {
    const { providerList } = await import('../providers/index.js');
    const names = providerList.map((provider) => provider.service as string);
    const upper = service.toUpperCase();
    if (!names.includes(upper)) throw new UsageError(`Unknown service "${service}".${didYouMean(upper, names)}`);
    service = upper;
  }
  return withDatabase(config, io, async (db) => {
    const siteId = typeof values.site === 'string' ? (await findSite(db, values.site)).id : undefined;
    const rows = await db.connection.findMany({
      where: { ...(siteId ? { siteId } : {}), ...(status ? { status } : {}), ...(service ? { service } : {}) },
      orderBy: [{ siteId: 'asc' }, { service: 'asc' }],
      select: { id: true, siteId: true, service: true, ownerType: true, ownerId: true, status: true, expiresAt: true, refreshFailures: true, lastError: true, updatedAt: true },
    });
    if (!rows.length) io.err('No connections match.');
    for (const row of rows) {
      io.out(
        [
          row.id,
          row.siteId,
          row.service,
          row.ownerType === 'SITE' ? 'site' : `${row.ownerType.toLowerCase()}:${row.ownerId}`,
          row.status,
          `expires=${row.expiresAt?.toISOString() ?? 'never'}`,
          `failures=${row.refreshFailures}`,
          `since=${row.updatedAt.toISOString()}`,
          row.lastError ? JSON.stringify(row.lastError) : '',
        ].join('\t').trimEnd(),
      );
    }
    return 0;
  });
}

/** An ISO date, or a duration back from now: 30m, 24h, 7d. */
export function parseSince(value: string, now = Date.now()): Date {
  const duration = /^(\d+)\s*([smhd])$/.exec(value.trim());
  if (duration) {
    const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[duration[2] as 's' | 'm' | 'h' | 'd'];
    return new Date(now - Number(duration[1]) * unit);
  }
  const date = new Date(value);
  if (/^\d{4}-\d{2}-\d{2}/.test(value) && !Number.isNaN(date.getTime())) return date;
  throw new UsageError(`--since "${value}" is neither a date (2026-01-31, 2026-01-31T12:00:00Z) nor a duration (30m, 24h, 7d).`);
}

export async function auditCommand(config: Config, args: string[], io: AdminIo): Promise<number> {
  const { values } = parse(args, ['site', 'since', 'type'], adminUsage.audit);
  if (values.help) return io.out(adminUsage.audit), 0;
  const since = typeof values.since === 'string' ? parseSince(values.since) : undefined;
  return withDatabase(config, io, async (db) => {
    const siteId = typeof values.site === 'string' ? (await findSite(db, values.site)).id : undefined;
    const where = {
      ...(siteId ? { siteId } : {}),
      ...(since ? { createdAt: { gte: since } } : {}),
      ...(typeof values.type === 'string' ? { type: values.type } : {}),
    };
    // Pages by (createdAt, id), so an export of millions of events never holds them all at once.
    let cursor: string | undefined;
    for (;;) {
      const page = await db.auditEvent.findMany({
        where,
        orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
        take: 1000,
        ...(cursor ? { cursor: { id: cursor }, skip: 1 } : {}),
      });
      for (const event of page) {
        io.out(JSON.stringify({ id: event.id, time: event.createdAt.toISOString(), type: event.type, siteId: event.siteId, service: event.service, connectionId: event.connectionId, attemptId: event.attemptId, detail: event.detail }));
      }
      if (page.length < 1000) return 0;
      cursor = page.at(-1)!.id;
    }
  });
}

// Old records are deleted on schedule; recent ones, and webhook deliveries still pending, are kept.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateId } from '../src/crypto/opaque-token.js';
import { pruneOldRecords, defaultRetention } from '../src/retention.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';

const DAY = 24 * 3600 * 1000;
let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database?.cleanup());

describe('pruneOldRecords', () => {
  it('deletes finished attempts, old audit events and settled deliveries, and nothing newer', async () => {
    const { db } = database;
    const now = new Date();
    const ago = (days: number) => new Date(now.getTime() - days * DAY);
    const site = await db.site.create({ data: { id: generateId('site'), name: 'Retention', allowedOrigins: [] } });
    const attempt = (id: string, expiresAt: Date) =>
      db.authAttempt.create({ data: { id, stateHash: generateId('h'), siteId: site.id, service: 'GITHUB', scopes: [], redirectUri: 'http://x/cb', expiresAt } });
    await attempt('att_old', ago(2));
    await attempt('att_recent', ago(0.5));
    await attempt('att_pending', new Date(now.getTime() + 60_000));
    await db.auditEvent.create({ data: { id: 'evt_old', type: 'auth.started', createdAt: ago(91) } });
    await db.auditEvent.create({ data: { id: 'evt_recent', type: 'auth.started', createdAt: ago(89) } });
    const endpoint = await db.webhookEndpoint.create({ data: { id: generateId('wh'), siteId: site.id, url: 'https://hooks.example/x', secret: 'v1.x', events: [] } });
    const delivery = (id: string, status: string, createdAt: Date) =>
      db.webhookDelivery.create({ data: { id, endpointId: endpoint.id, siteId: site.id, event: 'connection.created', payload: '{}', status, createdAt } });
    await delivery('del_old_done', 'DELIVERED', ago(31));
    await delivery('del_old_failed', 'FAILED', ago(31));
    await delivery('del_old_pending', 'PENDING', ago(31));
    await delivery('del_recent', 'DELIVERED', ago(29));

    expect(await pruneOldRecords(db, defaultRetention, now)).toEqual({ attempts: 1, auditEvents: 1, webhookDeliveries: 2 });
    expect((await db.authAttempt.findMany({ orderBy: { id: 'asc' } })).map((row) => row.id)).toEqual(['att_pending', 'att_recent']);
    expect((await db.auditEvent.findMany()).map((row) => row.id)).toEqual(['evt_recent']);
    expect((await db.webhookDelivery.findMany({ orderBy: { id: 'asc' } })).map((row) => row.id)).toEqual(['del_old_pending', 'del_recent']);
    expect(await pruneOldRecords(db, defaultRetention, now)).toEqual({ attempts: 0, auditEvents: 0, webhookDeliveries: 0 });
  });
});

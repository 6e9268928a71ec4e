// Database spans while tracing is on: the driver adapter's queries, named by SQL verb and table, inside
// the trace of the request (or delivery) that made them; background polling makes no traces. The
// SQL text and its parameters are not recorded (parameters are the stored ciphertexts and ids).
import type { SqlDriverAdapter, SqlMigrationAwareDriverAdapterFactory, SqlQuery, SqlQueryable } from '@prisma/driver-adapter-utils';
import { activeTracer, type Tracer } from './tracing.js';

const TABLE = /\b(?:FROM|INTO|UPDATE|JOIN)\s+(?:[`"]?(?:main|public)[`"]?\.)?[`"]?([A-Za-z_][A-Za-z0-9_]{0,63})/i;

function spanFields(query: SqlQuery, system: string): { name: string; attributes: Record<string, string> } {
  const verb = /^\s*([A-Za-z]+)/.exec(query.sql)?.[1]?.toUpperCase() ?? 'QUERY';
  const table = TABLE.exec(query.sql)?.[1];
  return {
    name: table ? `${verb} ${table}` : verb,
    attributes: { 'db.system.name': system, 'db.operation.name': verb, ...(table ? { 'db.collection.name': table } : {}) },
  };
}

function traceQueryable<Q extends SqlQueryable>(queryable: Q, tracer: Tracer, system: string): Q {
  const queryRaw = queryable.queryRaw.bind(queryable);
  const executeRaw = queryable.executeRaw.bind(queryable);
  queryable.queryRaw = (query) => {
    const { name, attributes } = spanFields(query, system);
    return tracer.inSpan(name, attributes, () => queryRaw(query), { onlyInTrace: true });
  };
  queryable.executeRaw = (query) => {
    const { name, attributes } = spanFields(query, system);
    return tracer.inSpan(name, attributes, () => executeRaw(query), { onlyInTrace: true });
  };
  return queryable;
}

/** The factory itself while tracing is off; otherwise one whose connections make a span per query. */
export function traceDriverAdapter(factory: SqlMigrationAwareDriverAdapterFactory, system: string): SqlMigrationAwareDriverAdapterFactory {
  const tracer = activeTracer();
  if (!tracer) return factory;
  const connect = factory.connect.bind(factory);
  factory.connect = async () => {
    const adapter: SqlDriverAdapter = traceQueryable(await connect(), tracer, system);
    const startTransaction = adapter.startTransaction.bind(adapter);
    adapter.startTransaction = async (...args) => traceQueryable(await startTransaction(...args), tracer, system);
    return adapter;
  };
  return factory;
}

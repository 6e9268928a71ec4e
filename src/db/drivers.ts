// The database drivers, each loaded on first use, so a gateway on SQLite never loads pg or the
// PostgreSQL adapter, and one on PostgreSQL never loads better-sqlite3. All four are CommonJS
// packages, so they load synchronously here and `openDatabase` stays synchronous.
import { createRequire } from 'node:module';
import type * as AdapterPg from '@prisma/adapter-pg';
import type * as AdapterSqlite from '@prisma/adapter-better-sqlite3';
import type BetterSqlite3 from 'better-sqlite3';
import type Pg from 'pg';

const require = createRequire(import.meta.url);

export const loadPg = (): typeof Pg => require('pg') as typeof Pg;
export const loadAdapterPg = (): typeof AdapterPg => require('@prisma/adapter-pg') as typeof AdapterPg;
export const loadAdapterSqlite = (): typeof AdapterSqlite => require('@prisma/adapter-better-sqlite3') as typeof AdapterSqlite;
export const loadBetterSqlite3 = (): typeof BetterSqlite3 => require('better-sqlite3') as typeof BetterSqlite3;

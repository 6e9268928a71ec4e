import type { Services } from './services.js';
import type { Caller } from './sites/sites.js';
import type { Database } from './db/database.js';

export interface GraphQLContext {
  services: Services;
  db: Database;
  caller: Caller | null;
  request: Request;
}

// The request a piece of code runs for, without passing it through every call: the logger stamps
// its id on each line and the GraphQL result on each error.
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

export interface RequestScope {
  requestId: string;
}

const storage = new AsyncLocalStorage<RequestScope>();

// An id a proxy or client sent is reused only when it cannot smuggle anything into a log line.
const ACCEPTABLE_ID = /^[A-Za-z0-9._:-]{8,64}$/;

export function requestIdFrom(header: string | null | undefined): string {
  return header && ACCEPTABLE_ID.test(header) ? header : randomUUID();
}

export function runInRequest<T>(scope: RequestScope, fn: () => T): T {
  return storage.run(scope, fn);
}

export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}

// Shared by the pass-through namespaces (github.ts, spotify.ts): one upstream session per request
// and service, on the caller's own connection, and argument checks that answer BAD_USER_INPUT.
import type { z } from 'zod';
import { siteCallerOf, type GraphQLContext } from '../context.js';
import type { ServiceName } from '../providers/types.js';
import { badUserInput } from '../errors.js';
import type { UpstreamSession } from '../passthrough/passthrough.js';
import { usageFor } from '../passthrough/usage.js';
import { assertMayUseProviderTokens, secretsFor } from './secrets.js';

const sessionsByRequest = new WeakMap<GraphQLContext, Map<string, UpstreamSession>>();

/** Whose connection a pass-through namespace uses: the caller's owner unless it names an end user, and which account. */
export interface UpstreamOwner {
  endUser?: string | null | undefined;
  account?: string | null | undefined;
}

/** The caller's session with a provider's API for this request (the connection is read lazily). */
export function upstream(context: GraphQLContext, service: ServiceName, owner: UpstreamOwner = {}): UpstreamSession {
  const caller = siteCallerOf(context);
  assertMayUseProviderTokens(context);
  // Refuses a malformed endUser (BAD_USER_INPUT) or another owner than a bound token's (FORBIDDEN) up front.
  const secrets = secretsFor(context, owner.endUser);
  const account = owner.account ?? null;
  let sessions = sessionsByRequest.get(context);
  if (!sessions) {
    sessions = new Map();
    sessionsByRequest.set(context, sessions);
  }
  const key = `${service}\u0000${owner.endUser ?? ''}\u0000${account ?? ''}`;
  let session = sessions.get(key);
  if (!session) {
    session = context.services.passthrough.session({
      service,
      connection: () => secrets.get(service, account),
      allowed: caller.services === null || caller.services.includes(service),
      signal: context.request.signal,
      usage: usageFor(context),
    });
    sessions.set(key, session);
  }
  return session;
}

/** Parses arguments with `schema`; the first problem becomes BAD_USER_INPUT naming the argument. */
export function validate<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.map(String).join('.');
  throw badUserInput(`${field ? `${field}: ` : ''}${issue.message}`, field || undefined);
}

export const toDate = (value: unknown): Date | null => (typeof value === 'string' && value ? new Date(value) : null);

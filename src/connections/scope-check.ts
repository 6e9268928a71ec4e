// Whether a connection was granted the scopes an operation needs, and a clear error naming the
// missing ones when it was not.
import { LatchkeyError } from '../errors.js';
import { getProvider } from '../providers/index.js';
import type { ServiceName } from '../providers/types.js';

export class MissingScopesError extends LatchkeyError {
  constructor(
    readonly service: ServiceName,
    readonly missingScopes: string[],
  ) {
    const name = getProvider(service).friendlyServiceName;
    super(
      'FORBIDDEN',
      `The ${name} connection lacks the scope${missingScopes.length > 1 ? 's' : ''} ${missingScopes.join(', ')}: connect again with startAuth(input: { service: ${service}, scopes: [${missingScopes.map((scope) => JSON.stringify(scope)).join(', ')}] }) to add ${missingScopes.length > 1 ? 'them' : 'it'}.`,
      { service, missingScopes },
    );
  }
}

/**
 * `anyOf` lists alternatives where one suffices (GitHub's `repo` covers `public_repo`); each entry of
 * `required` is one such group.
 */
export function missingScopes(granted: readonly string[], required: ReadonlyArray<string | readonly string[]>): string[] {
  const have = new Set(granted);
  return required
    .filter((group) => (typeof group === 'string' ? !have.has(group) : !group.some((scope) => have.has(scope))))
    .map((group) => (typeof group === 'string' ? group : group[0]!));
}

export function assertScopes(service: ServiceName, granted: readonly string[], required: ReadonlyArray<string | readonly string[]>): void {
  const missing = missingScopes(granted, required);
  if (missing.length > 0) throw new MissingScopesError(service, missing);
}

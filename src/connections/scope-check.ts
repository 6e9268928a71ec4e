// Whether a connection was granted the scopes an operation needs, and a clear error naming the
// missing ones when it was not.
import { LatchkeyError } from '../errors.js';
import { serviceLabel } from '../providers/custom.js';
import { publicKeyOf } from '../registry/service-registry.js';
import type { ServiceKey } from '../providers/types.js';

export class MissingScopesError extends LatchkeyError {
  constructor(
    readonly service: ServiceKey,
    readonly missingScopes: string[],
  ) {
    const name = serviceLabel(service);
    const input = `serviceKey: ${JSON.stringify(publicKeyOf(service))}`;
    super(
      'FORBIDDEN',
      `The ${name} connection lacks the scope${missingScopes.length > 1 ? 's' : ''} ${missingScopes.join(', ')}: connect again with startAuth(input: { ${input}, scopes: [${missingScopes.map((scope) => JSON.stringify(scope)).join(', ')}] }) to add ${missingScopes.length > 1 ? 'them' : 'it'}.`,
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

export function assertScopes(service: ServiceKey, granted: readonly string[], required: ReadonlyArray<string | readonly string[]>): void {
  const missing = missingScopes(granted, required);
  if (missing.length > 0) throw new MissingScopesError(service, missing);
}

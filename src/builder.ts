import SchemaBuilder from '@pothos/core';
import PrismaPlugin from '@pothos/plugin-prisma';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import { DateTimeResolver, JSONResolver } from 'graphql-scalars';
import type PrismaTypes from './generated/pothos-types.js';
import { getDatamodel } from './generated/pothos-types.js';
import type { GraphQLContext } from './context.js';
import { forbidden, unauthenticated } from './errors.js';

export const builder = new SchemaBuilder<{
  Context: GraphQLContext;
  PrismaTypes: PrismaTypes;
  Scalars: { DateTime: { Input: Date; Output: Date }; JSON: { Input: unknown; Output: unknown } };
  AuthScopes: { site: boolean; siteOwner: boolean; admin: boolean; connect: string };
  DefaultFieldNullability: false;
}>({
  plugins: [ScopeAuthPlugin, PrismaPlugin],
  defaultFieldNullability: false,
  prisma: {
    client: (context) => context.db,
    dmmf: getDatamodel(),
    exposeDescriptions: false,
    filterConnectionTotalCount: true,
  },
  scopeAuth: {
    authScopes: (context) => ({
      site: context.caller?.kind === 'site',
      // The long-lived site token; function tokens only read secrets of their services.
      siteOwner: context.caller?.kind === 'site' && context.caller.tokenKind === 'SITE',
      admin: context.caller?.kind === 'admin',
      // A function token minted with canConnect may start auth and sign out for its own services.
      connect: (service) =>
        context.caller?.kind === 'site' &&
        context.caller.canConnect === true &&
        (context.caller.services === null || (context.caller.services as readonly string[]).includes(service)),
    }),
    unauthorizedError: (_parent, context, _info, result) =>
      context.caller
        ? forbidden(
            context.caller.kind === 'site' && context.caller.tokenKind === 'FUNCTION'
              ? context.caller.canConnect
                ? 'This function token may only read secrets of its services and connect or disconnect them: use the site token for this.'
                : 'A function token may only read secrets of its services: use the site token for this.'
              : `This token may not do that: ${result.message}`,
          )
        : unauthenticated('Authentication required: send "Authorization: Bearer <site token>".'),
  },
});

builder.addScalarType('DateTime', DateTimeResolver);
builder.addScalarType('JSON', JSONResolver);
builder.queryType({});
builder.mutationType({});

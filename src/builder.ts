import SchemaBuilder from '@pothos/core';
import PrismaPlugin from '@pothos/plugin-prisma';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import { DateTimeResolver } from 'graphql-scalars';
import type PrismaTypes from './generated/pothos-types.js';
import { getDatamodel } from './generated/pothos-types.js';
import type { GraphQLContext } from './context.js';
import { forbidden, unauthenticated } from './errors.js';

export const builder = new SchemaBuilder<{
  Context: GraphQLContext;
  PrismaTypes: PrismaTypes;
  Scalars: { DateTime: { Input: Date; Output: Date } };
  AuthScopes: { site: boolean; admin: boolean };
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
      admin: context.caller?.kind === 'admin',
    }),
    unauthorizedError: (_parent, context, _info, result) =>
      context.caller
        ? forbidden(`This token may not do that: ${result.message}`)
        : unauthenticated('Authentication required: send "Authorization: Bearer <site token>".'),
  },
});

builder.addScalarType('DateTime', DateTimeResolver);
builder.queryType({});
builder.mutationType({});

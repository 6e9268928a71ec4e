// Typed MCP tools generated from the pass-through namespaces of the GraphQL schema: every field of
// `<service> { … }` under Query (read-only) and Mutation becomes a tool `<service>_<field>` whose
// arguments are the field's, as JSON Schema, and whose result is the field's data.
import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
} from 'graphql';

export type JsonSchema = Record<string, unknown>;

export interface GraphQLTool {
  name: string;
  description: string;
  inputSchema: JsonSchema & { type: 'object' };
  /** The catalog key of the service the tool calls ("github"). */
  service: string;
  mutation: boolean;
  /** The GraphQL document the tool runs; its variables are the tool's arguments. */
  document: string;
  field: string;
}

const SCALAR_SCHEMAS: Record<string, JsonSchema> = {
  String: { type: 'string' },
  ID: { type: 'string' },
  Int: { type: 'integer' },
  Float: { type: 'number' },
  Boolean: { type: 'boolean' },
  DateTime: { type: 'string', format: 'date-time' },
  JSON: {},
};

/** JSON Schema of a GraphQL input type (nullability is expressed by `required` on the parent). */
export function inputSchemaOf(type: GraphQLInputType): JsonSchema {
  const inner = isNonNullType(type) ? type.ofType : type;
  if (isListType(inner)) return { type: 'array', items: inputSchemaOf(inner.ofType) };
  if (isScalarType(inner)) return { ...(SCALAR_SCHEMAS[inner.name] ?? { type: 'string' }), ...(inner.description ? { description: inner.description } : {}) };
  if (isEnumType(inner)) return { type: 'string', enum: inner.getValues().map((value) => value.name) };
  if (isInputObjectType(inner)) {
    const fields = Object.values(inner.getFields());
    return objectSchema(fields.map((field) => ({ name: field.name, type: field.type, description: field.description ?? undefined })), inner.description ?? undefined);
  }
  return {};
}

function objectSchema(entries: Array<{ name: string; type: GraphQLInputType; description?: string }>, description?: string): JsonSchema & { type: 'object' } {
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const entry of entries) {
    properties[entry.name] = { ...inputSchemaOf(entry.type), ...(entry.description ? { description: entry.description } : {}) };
    if (isNonNullType(entry.type)) required.push(entry.name);
  }
  return { type: 'object', properties, ...(required.length ? { required } : {}), additionalProperties: false, ...(description ? { description } : {}) };
}

const MAX_DEPTH = 3;

/**
 * A selection of the type's data: every scalar, and nested objects without arguments up to a small
 * depth, so a tool answers with what the field offers without fanning out into further calls.
 */
export function selectionOf(type: GraphQLOutputType, depth = 0): string {
  const named = getNamedType(type);
  if (!isObjectType(named)) return '';
  const parts: string[] = [];
  for (const field of Object.values(named.getFields())) {
    const target = getNamedType(field.type);
    if (isObjectType(target)) {
      if (field.args.length > 0 || depth + 1 >= MAX_DEPTH) continue;
      const nested = selectionOf(field.type, depth + 1);
      if (nested) parts.push(`${field.name} ${nested}`);
    } else if (!field.args.some((arg) => isNonNullType(arg.type))) {
      parts.push(field.name);
    }
  }
  return parts.length ? `{ ${parts.join(' ')} }` : '';
}

function typeString(type: GraphQLInputType): string {
  return type.toString();
}

function toolOf(service: string, field: GraphQLField<unknown, unknown>, mutation: boolean): GraphQLTool {
  const args: readonly GraphQLArgument[] = field.args;
  const variables = args.map((arg) => `$${arg.name}: ${typeString(arg.type)}`).join(', ');
  const passed = args.map((arg) => `${arg.name}: $${arg.name}`).join(', ');
  const operation = mutation ? 'mutation' : 'query';
  const document = `${operation}${variables ? ` (${variables})` : ''} { ${service} { ${field.name}${passed ? `(${passed})` : ''} ${selectionOf(field.type)} } }`;
  const description = [field.description, `${mutation ? 'Changes' : 'Reads'} ${service} data through the site's connection.`].filter(Boolean).join(' ');
  return {
    name: `${service}_${field.name}`,
    description,
    inputSchema: objectSchema(args.map((arg) => ({ name: arg.name, type: arg.type, description: arg.description ?? undefined }))),
    service,
    mutation,
    document,
    field: field.name,
  };
}

/** The tools of every namespace `graphQLFields` names that exists as an object field of Query / Mutation. */
export function graphQLTools(schema: GraphQLSchema, graphQLFields: readonly string[]): GraphQLTool[] {
  const tools: GraphQLTool[] = [];
  const namespaces = (root: GraphQLObjectType | null | undefined, mutation: boolean) => {
    if (!root) return;
    for (const service of graphQLFields) {
      const namespace = root.getFields()[service];
      const type = namespace && getNamedType(namespace.type);
      if (!type || !isObjectType(type) || namespace.args.some((arg) => isNonNullType(arg.type))) continue;
      if (!type.name.endsWith(mutation ? 'Mutation' : 'Query')) continue;
      for (const field of Object.values(type.getFields())) tools.push(toolOf(service, field, mutation));
    }
  };
  namespaces(schema.getQueryType(), false);
  namespaces(schema.getMutationType(), true);
  return tools;
}

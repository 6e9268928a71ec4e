// Writes schema/schema.graphql, the printed schema that clients and graphql-codegen read.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { printSchema } from 'graphql';
import { schema } from '../src/schema/index.js';

export const schemaFile = fileURLToPath(new URL('../schema/schema.graphql', import.meta.url));

export function renderSchemaFile(): string {
  return `${printSchema(schema)}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(schemaFile, renderSchemaFile());
  console.log(`wrote ${schemaFile}`);
}

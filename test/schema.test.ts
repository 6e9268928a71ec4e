// The printed schema is committed for clients and codegen: it must match the code, and the code
// must keep every type, field and argument the public contract promises.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildSchema, findBreakingChanges } from 'graphql';
import { describe, expect, it } from 'vitest';
import { schema } from '../src/schema/index.js';
import { renderSchemaFile, schemaFile } from '../scripts/print-schema.js';

const contractFile = fileURLToPath(new URL('../../shared/CONTRACT.md', import.meta.url));

function contractSchemaSource(): string {
  const markdown = readFileSync(contractFile, 'utf8');
  const block = /```graphql\n([\s\S]*?)```/.exec(markdown);
  if (!block) throw new Error('CONTRACT.md has no graphql block');
  // The contract names these in prose (a comment) rather than declaring them.
  return `scalar DateTime\nenum AuthAttemptStatus { PENDING COMPLETED FAILED EXPIRED }\n${block[1]}`;
}

describe('schema/schema.graphql', () => {
  it('is the printed schema of the code (run `npm run schema:print` after changing the schema)', () => {
    expect(readFileSync(schemaFile, 'utf8')).toBe(renderSchemaFile());
  });
});

describe.runIf(existsSync(contractFile))('the public contract', () => {
  it('has no breaking change against the schema in ../shared/CONTRACT.md', () => {
    const contract = buildSchema(contractSchemaSource());
    expect(findBreakingChanges(contract, schema).map((change) => change.description)).toEqual([]);
  });
});

// The README and docs stand alone: every relative link points at a file inside the repository.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const documents = ['README.md', ...readdirSync(join(root, 'docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`), 'packages/latchkey-functions/README.md', 'packages/latchkey-auth/README.md'];

describe('documentation links', () => {
  it.each(documents)('%s links only to files inside the repository', (document) => {
    const text = readFileSync(join(root, document), 'utf8');
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^(https?:|mailto:|#)/.test(target!)) continue;
      const path = resolve(dirname(join(root, document)), target!.split('#')[0]!);
      expect(relative(root, path).startsWith('..'), `${document} → ${target}`).toBe(false);
      expect(existsSync(path), `${document} → ${target}`).toBe(true);
    }
  });

  it('docs/api.md names every root query and mutation of the schema', () => {
    const schema = readFileSync(join(root, 'schema/schema.graphql'), 'utf8');
    const api = readFileSync(join(root, 'docs/api.md'), 'utf8');
    for (const type of ['Query', 'Mutation']) {
      const body = new RegExp(`type ${type} \\{([\\s\\S]*?)\\n\\}`).exec(schema)![1]!.replace(/"""[\s\S]*?"""/g, '');
      for (const [, field] of body.matchAll(/\n {2}(\w+)[(:]/g)) expect(api, `${type}.${field}`).toMatch(new RegExp(`\\b${field}\\b`));
    }
  });
});

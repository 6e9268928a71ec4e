// @latchkey/functions and @latchkey/auth are not on the registry: a project installs them from a
// checkout of this repository (or a tarball `npm pack` makes), as their READMEs say.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const packages = fileURLToPath(new URL('../packages/', import.meta.url));
const project = mkdtempSync(join(tmpdir(), 'latchkey-consumer-'));

afterAll(() => rmSync(project, { recursive: true, force: true }));

describe('installing the client packages', () => {
  it('npm install <checkout>/packages/… and <tarball> give importable packages', async () => {
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', type: 'module', private: true }));
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', project, join(packages, 'latchkey-auth')], { cwd: project });
    const tarball = (JSON.parse(stdout) as Array<{ filename: string }>)[0]!.filename;
    await run('npm', ['install', '--offline', '--no-audit', '--no-fund', join(packages, 'latchkey-functions'), join(project, tarball)], { cwd: project });
    const probe = `import { getSecrets, withSecrets, LatchkeyFunctionsError } from '@latchkey/functions';
import { LatchkeyAuth } from '@latchkey/auth';
console.log([typeof getSecrets, typeof withSecrets, typeof LatchkeyFunctionsError, typeof LatchkeyAuth].join(','));`;
    writeFileSync(join(project, 'probe.mjs'), probe);
    const result = await run(process.execPath, ['probe.mjs'], { cwd: project });
    expect(result.stdout.trim()).toBe('function,function,function,function');
  }, 120_000);
});

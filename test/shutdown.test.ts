// A stopping gateway gives every shutdown step a bounded time (src/server.ts): a step that never
// finishes is logged and skipped, a failing one is logged, and neither stops the steps after it.
import { describe, expect, it } from 'vitest';
import { boundedStep } from '../src/server.js';

function recorder() {
  const lines: Array<{ message: string; fields: Record<string, unknown> }> = [];
  return { lines, warn: (message: string, fields: Record<string, unknown> = {}) => void lines.push({ message, fields }) };
}

describe('boundedStep', () => {
  it('waits for a step that finishes, and logs nothing', async () => {
    const logger = recorder();
    let finished = false;
    await boundedStep('quick', async () => void (finished = true), 1_000, logger);
    expect(finished).toBe(true);
    expect(logger.lines).toEqual([]);
  });

  it('gives up on a step that never finishes after its time, naming it', async () => {
    const logger = recorder();
    const started = Date.now();
    await boundedStep('stuck', () => new Promise(() => {}), 50, logger);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(logger.lines).toEqual([{ message: expect.stringContaining('did not finish in time'), fields: { step: 'stuck', timeoutMs: 50 } }]);
  });

  it('logs a failing step and returns, so the next steps still run', async () => {
    const logger = recorder();
    await boundedStep('broken', async () => Promise.reject(new Error('pool already closed')), 1_000, logger);
    expect(logger.lines).toEqual([{ message: expect.stringContaining('failed'), fields: { step: 'broken', reason: 'pool already closed' } }]);
  });
});

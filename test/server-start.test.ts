import { describe, expect, it, vi } from 'vitest';
import { writeTinyModel } from './helpers/tiny-model.js';

// Counts the closes of every checker the server creates for itself.
const closes = vi.hoisted(() => ({ count: 0 }));
vi.mock('../src/check.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../src/check.js')>();
  return {
    ...actual,
    createLivenessChecker: async (options: Parameters<typeof actual.createLivenessChecker>[0]) => {
      const checker = await actual.createLivenessChecker(options);
      return {
        ...checker,
        close: async () => {
          closes.count++;
          await checker.close();
        },
      };
    },
  };
});
const { createServer } = await import('../src/server/index.js');

describe('createServer', () => {
  it('closes the checker it loaded when the instance cannot be built', async () => {
    const { modelFile } = writeTinyModel();
    await expect(createServer({ model: modelFile, logger: { level: 'no-such-level' } })).rejects.toThrow(
      /no-such-level/,
    );
    expect(closes.count).toBe(1);
  });

  it('closes the checker it loaded once, when the instance closes', async () => {
    closes.count = 0;
    const app = await createServer({ model: writeTinyModel().modelFile });
    await app.close();
    expect(closes.count).toBe(1);
  });
});

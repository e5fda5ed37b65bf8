// Tests that read ../shared (the corpus, the upstream reference models) skip on a checkout without it, saying so,
// but fail under CI (.ci/run sets CI), where ../shared is part of the environment and a quiet skip would hide it.
import { existsSync } from 'node:fs';

export const IN_CI = process.env.CI !== undefined && !['', '0', 'false'].includes(process.env.CI.toLowerCase());

/** For it.skipIf: true (skip) when a path is missing outside CI; under CI false, so the test runs and fails. */
export function skipWithoutShared(...paths: string[]): boolean {
  const missing = paths.filter((path) => !existsSync(path));
  if (missing.length === 0) return false;
  if (IN_CI) return false;
  console.warn(`skipped (not CI): missing ${missing.join(', ')}`);
  return true;
}

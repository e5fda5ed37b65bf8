// Stand-in for node:path in the page (src/classify/model-files.ts resolves model files on disk; the page does not).
import { unavailable } from './unavailable.js';

export function dirname(..._args: unknown[]): never {
  return unavailable('path.dirname');
}

export function isAbsolute(..._args: unknown[]): never {
  return unavailable('path.isAbsolute');
}

export function resolve(..._args: unknown[]): never {
  return unavailable('path.resolve');
}

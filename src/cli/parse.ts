import { InvalidArgumentError } from 'commander';
import { parseBox, type Box } from '../index.js';

export function parseProbability(value: string): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number < 0 || number > 1)
    throw new InvalidArgumentError(`expected a number in [0, 1], got "${value}"`);
  return number;
}

export function parsePositiveInteger(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1)
    throw new InvalidArgumentError(`expected a positive integer, got "${value}"`);
  return number;
}

/** `--box x,y,w,h`: the library's parseBox, its refusal turned into commander's usage error. */
export function parseBoxArgument(value: string): Box {
  try {
    return parseBox(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

/** A wrong combination of arguments found inside a command's action: exit status 2, like a parse error. */
export class UsageError extends Error {}

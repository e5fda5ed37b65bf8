import { InvalidArgumentError } from 'commander';
import type { Box } from '../types.js';

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

export function parseBox(value: string): Box {
  const parts = value.split(',').map(Number);
  if (parts.length !== 4 || !parts.every(Number.isFinite) || parts[2]! <= 0 || parts[3]! <= 0)
    throw new InvalidArgumentError(`expected x,y,width,height in pixels, got "${value}"`);
  const [x, y, width, height] = parts as [number, number, number, number];
  return { x, y, width, height };
}

/** A wrong combination of arguments found inside a command's action: exit status 2, like a parse error. */
export class UsageError extends Error {}

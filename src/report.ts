import type { CheckResult } from './pipeline.js';
import { AntispoofError, isAntispoofError } from './errors.js';
import type { Box } from './types.js';

// The text forms of one check, shared by `antispoof check --json` and POST /v1/check so that a client reads both
// alike: the face box a caller gives ("x,y,w,h"), and the report of one image.

/** One face of a report: the box to 0.1 px, scores rounded so that outputs compare byte for byte across runs. */
export interface FaceReport {
  box: Box;
  detectionScore: number | null;
  score: number;
  verdict: string;
  reasons: string[];
}

/** One line of `check --json`; the HTTP service answers with the same shape. */
export interface FileReport {
  file: string;
  width?: number;
  height?: number;
  faces?: FaceReport[];
  error?: string;
  errorCode?: string;
}

const round = (value: number, digits: number) => Number(value.toFixed(digits));

export function reportFromResult(file: string, result: Pick<CheckResult, 'width' | 'height' | 'faces'>): FileReport {
  return {
    file,
    width: result.width,
    height: result.height,
    faces: result.faces.map((face) => ({
      box: {
        x: round(face.box.x, 1),
        y: round(face.box.y, 1),
        width: round(face.box.width, 1),
        height: round(face.box.height, 1),
      },
      detectionScore: face.detectionScore === null ? null : round(face.detectionScore, 4),
      score: round(face.score, 6),
      verdict: face.verdict,
      reasons: face.reasons,
    })),
  };
}

/** A failed image: the library's code and message; anything else is INTERNAL with its message. */
export function reportFromError(file: string, error: unknown): FileReport {
  if (isAntispoofError(error)) return { file, error: error.message, errorCode: error.code };
  return { file, error: error instanceof Error ? error.message : String(error), errorCode: 'INTERNAL' };
}

/** "x,y,width,height" in pixels, as `check --box` and `?box=` spell a face box. Throws INVALID_INPUT otherwise. */
export function parseBox(value: string): Box {
  const parts = value.split(',').map(Number);
  if (parts.length !== 4 || !parts.every(Number.isFinite) || parts[2]! <= 0 || parts[3]! <= 0)
    throw new AntispoofError('INVALID_INPUT', `expected x,y,width,height in pixels, got "${value}"`);
  const [x, y, width, height] = parts as [number, number, number, number];
  return { x, y, width, height };
}

import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { LivenessSession, reportFromError, reportFromResult, type LivenessChecker } from '../index.js';

const FRAME_EXTENSIONS = /\.(jpe?g|png|webp)$/i;

/** Frame files of a folder in capture order (natural sort: frame2 before frame10). */
export async function listFrames(folder: string): Promise<string[]> {
  const names = (await readdir(folder)).filter((name) => FRAME_EXTENSIONS.test(name));
  names.sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  return names.map((name) => join(folder, name));
}

export interface FramesReport {
  frames: number;
  decision: string;
  fusedScore: number | null;
  goodFrames: number;
  perFrame: Array<ReturnType<typeof reportFromResult> & { decision?: string; fusedScore?: number | null }>;
}

/** Fuses a frame sequence; a frame that fails to decode is reported and skipped, not fatal. */
export async function checkFrames(checker: LivenessChecker, files: string[], fps: number): Promise<FramesReport> {
  const session = new LivenessSession(checker);
  const perFrame: FramesReport['perFrame'] = [];
  let last: { decision: string; fusedScore: number | null; goodFrames: number } = {
    decision: 'retry',
    fusedScore: null,
    goodFrames: 0,
  };
  for (const [index, file] of files.entries()) {
    try {
      const update = await session.push(file, (index * 1000) / fps);
      const primary = update.faces[0]; // largest first: the face the decision is about
      last = {
        decision: update.decision,
        fusedScore: primary?.fusedScore ?? null,
        goodFrames: primary?.goodFrames ?? 0,
      };
      perFrame.push({ ...reportFromResult(file, update), decision: last.decision, fusedScore: last.fusedScore });
    } catch (error) {
      perFrame.push(reportFromError(file, error));
    }
  }
  return { frames: files.length, ...last, perFrame };
}

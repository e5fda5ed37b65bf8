import { spawn } from 'node:child_process';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { forEachLimited } from '../pool.js';
import {
  type AdapterOptions,
  type AdapterResult,
  type AdapterRow,
  type DatasetAdapter,
  compareStrings,
  extensionOf,
  imageSize,
  invalid,
  listed,
  listFiles,
} from './common.js';
import { parseVideoName, VIDEO_NAMINGS, type VideoLabel } from './video-naming.js';

export const VIDEO_EXTENSIONS = new Set([
  '.avi',
  '.mov',
  '.mp4',
  '.m4v',
  '.mkv',
  '.webm',
  '.mpg',
  '.mpeg',
  '.wmv',
  '.flv',
  '.3gp',
]);

const MISSING_FFMPEG =
  'the videos layout samples frames with ffmpeg: install it (Debian/Ubuntu: apt-get install ffmpeg, the package ' +
  'is "ffmpeg"; macOS: brew install ffmpeg) or pass --ffmpeg <path to the executable>';

interface Finished {
  code: number | null;
  stderr: string;
}

/** Runs ffmpeg; rejects with a clear INVALID_INPUT error when the executable is missing. */
function runFfmpeg(ffmpeg: string, args: string[]): Promise<Finished> {
  return new Promise((resolvePromise, reject) => {
    let stderr = '';
    const child = spawn(ffmpeg, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4000);
    });
    child.on('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'ENOENT' || error.code === 'EACCES'
          ? invalid(`cannot run ${ffmpeg} (${error.code}): ${MISSING_FFMPEG}`)
          : invalid(`cannot run ${ffmpeg}: ${error.message}`),
      ),
    );
    child.on('close', (code) => resolvePromise({ code, stderr }));
  });
}

/** Throws INVALID_INPUT naming the Debian package when `ffmpeg` cannot be run. */
export async function checkFfmpeg(ffmpeg = 'ffmpeg'): Promise<void> {
  const { code, stderr } = await runFfmpeg(ffmpeg, ['-hide_banner', '-version']);
  if (code !== 0) throw invalid(`${ffmpeg} -version failed (exit ${code}): ${stderr.trim()}\n${MISSING_FFMPEG}`);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function framesOf(folder: string): Promise<string[]> {
  return (await readdir(folder)).filter((name) => /^\d+\.jpg$/.test(name)).sort(compareStrings);
}

async function build(options: AdapterOptions): Promise<AdapterResult> {
  const { root, naming } = options;
  if (!naming) throw invalid(`the videos layout needs --naming ${VIDEO_NAMINGS.join('|')}`);
  const fps = options.fps ?? 1;
  if (!Number.isFinite(fps) || fps <= 0) throw invalid(`--fps must be a positive number, got ${fps}`);
  const ffmpeg = options.ffmpeg ?? 'ffmpeg';
  const base = resolve(dirname(options.manifestFile));
  const notes: string[] = [];

  const files = await listFiles(root);
  const videos = files.filter((file) => VIDEO_EXTENSIONS.has(extensionOf(file)));
  if (videos.length === 0)
    throw invalid(`${root}: no video files (${[...VIDEO_EXTENSIONS].join(', ')}) in it or its sub-folders`);
  const others = files.filter((file) => !VIDEO_EXTENSIONS.has(extensionOf(file)));
  if (others.length) notes.push(listed(others.length, 'files that are not videos skipped', others));

  // Every name must follow the convention before any decoding starts.
  const labels = new Map<string, VideoLabel>();
  const bad: string[] = [];
  for (const video of videos) {
    try {
      labels.set(video, parseVideoName(naming, video));
    } catch (error) {
      bad.push((error as Error).message);
    }
  }
  if (bad.length)
    throw invalid(
      `${root}: ${bad.length} of ${videos.length} video names do not follow the ${naming} convention:\n  ` +
        bad.slice(0, 5).join('\n  ') +
        (bad.length > 5 ? `\n  ... ${bad.length - 5} more` : ''),
    );
  await checkFfmpeg(ffmpeg);

  const perVideo: AdapterRow[][] = new Array(videos.length);
  const failed: string[] = [];
  const empty: string[] = [];
  let reused = 0;
  let done = 0;
  options.onProgress?.(0, videos.length);
  await forEachLimited(
    videos.map((video, index) => ({ video, index })),
    options.concurrency ?? 2,
    async ({ video, index }) => {
      const label = labels.get(video)!;
      const stem = video.replace(/\.[^./]+$/, '');
      const target = join(base, 'frames', stem);
      if (await exists(target)) reused++;
      else {
        const partial = `${target}.partial`;
        await rm(partial, { recursive: true, force: true });
        await mkdir(partial, { recursive: true });
        const { code, stderr } = await runFfmpeg(ffmpeg, [
          '-nostdin',
          '-hide_banner',
          '-loglevel',
          'error',
          '-i',
          join(root, video),
          '-map',
          '0:v:0',
          '-vf',
          `fps=${fps}`,
          '-q:v',
          '2',
          join(partial, '%04d.jpg'),
        ]);
        if (code !== 0) {
          const reason = stderr.trim().split('\n').at(-1) ?? `exit ${code}`;
          failed.push(`${join(root, video)}: ${reason}`);
          await rm(partial, { recursive: true, force: true });
          options.onProgress?.(++done, videos.length);
          return;
        }
        await rename(partial, target);
      }
      const frames = await framesOf(target);
      if (frames.length === 0) empty.push(video);
      const size = frames.length ? await imageSize(join(target, frames[0]!)) : { width: 0, height: 0 };
      perVideo[index] = frames.map((frame) => ({
        path: `frames/${stem}/${frame}`,
        label: label.label,
        attack: label.attack,
        subject: label.subject,
        source: label.source,
        framing: 'full',
        ...size,
        ...(label.split !== undefined ? { split: label.split } : {}),
        extra: { ...label.extra, video },
      }));
      options.onProgress?.(++done, videos.length);
    },
  );
  if (reused) notes.push(`${reused} videos had frames from an earlier run in ${join(base, 'frames')}: reused`);
  if (failed.length) notes.push(listed(failed.length, 'videos ffmpeg could not decode skipped', failed));
  if (empty.length) notes.push(listed(empty.length, 'videos gave no frame', empty));
  return { rows: perVideo.flatMap((rows) => rows ?? []), base, notes };
}

export const videosAdapter: DatasetAdapter = {
  name: 'videos',
  summary: `a folder of videos named per --naming ${VIDEO_NAMINGS.join('|')}: frames sampled at --fps with ffmpeg`,
  build,
};

import type { Label } from '../manifest.js';
import { invalid, type VideoNaming } from './common.js';

/** What a video's path says about it under one dataset's naming rules. */
export interface VideoLabel {
  label: Label;
  attack: string;
  subject: string;
  source: string;
  split?: string;
  /** Further columns: attack_type and convention-specific ones (quality, support, device, phone, session). */
  extra: Record<string, string>;
}

export const VIDEO_NAMINGS: readonly VideoNaming[] = ['casia', 'replay-attack', 'msu', 'oulu'];

export const VIDEO_NAMING_PATTERNS: Record<VideoNaming, string> = {
  casia: '[train_release|test_release/]<subject>/<1-8 or HR_1-HR_4>.avi',
  'replay-attack':
    '[train|devel|test/]real/client<id>_session<n>_....mov or attack/fixed|hand/attack_(highdef|mobile|print)_client<id>_....mov',
  msu: 'real_client<id>_<device>_... or attack_client<id>_<device>_..._(ipad_video|iphone_video|printed_photo)...',
  oulu: '<phone>_<session>_<user>_<file 1-5>.avi',
};

function splitPath(relPath: string): { folders: string[]; stem: string } {
  const parts = relPath.replace(/\\/g, '/').split('/');
  const name = parts.pop()!;
  const dot = name.lastIndexOf('.');
  return { folders: parts, stem: dot > 0 ? name.slice(0, dot) : name };
}

function mismatch(naming: VideoNaming, relPath: string, why = `not a ${naming} video name`): Error {
  return invalid(`${relPath}: ${why} (expected ${VIDEO_NAMING_PATTERNS[naming]})`);
}

/** The last (innermost) defined value. */
function last<T>(values: (T | undefined)[]): T | undefined {
  return [...values].reverse().find((value) => value !== undefined);
}

/** CASIA-FASD: <subject>/<n>.avi; 1,2,HR_1 live; 3,4,HR_2 warped photo; 5,6,HR_3 cut photo; 7,8,HR_4 video replay. */
export function parseCasiaName(relPath: string): VideoLabel {
  const { folders, stem } = splitPath(relPath);
  const subject = folders.at(-1);
  const match = /^(?:([1-8])|HR_([1-4]))$/i.exec(stem);
  if (!match || !subject || !/^\d+$/.test(subject)) throw mismatch('casia', relPath);
  const kind = match[1] ? Math.ceil(Number(match[1]) / 2) : Number(match[2]);
  const quality = match[1] ? (Number(match[1]) % 2 === 1 ? 'low' : 'normal') : 'high';
  const release = last(folders.map((folder) => /^(train|test)_release$/i.exec(folder)?.[1]?.toLowerCase()));
  const [label, attack, attackType] = (
    [
      ['live', 'none', 'none'],
      ['spoof', 'print', 'warped-photo'],
      ['spoof', 'print', 'cut-photo'],
      ['spoof', 'replay', 'video'],
    ] as const
  )[kind - 1]!;
  return {
    label,
    attack,
    // train_release and test_release number their (different) people from 1 each
    subject: `casia-${release ? `${release}-` : ''}${subject}`,
    source: 'casia-fasd',
    ...(release ? { split: release } : {}),
    extra: { attack_type: attackType, quality },
  };
}

function splitOf(folders: string[], names: Record<string, string>): string | undefined {
  return last(folders.map((folder) => names[folder.toLowerCase()]));
}

/** A real/attack folder that contradicts the file name is an error, not a guess. */
function checkFolders(naming: VideoNaming, relPath: string, folders: string[], label: Label): void {
  const lower = folders.map((folder) => folder.toLowerCase());
  const contradicting = label === 'live' ? ['attack', 'spoof', 'fake'] : ['real', 'live'];
  const found = lower.find((folder) => contradicting.includes(folder));
  if (found) throw mismatch(naming, relPath, `a ${label} ${naming} file name in a "${found}" folder`);
}

/**
 * Idiap Replay-Attack: real/client<id>_session<n>_..., attack/{fixed,hand}/attack_{highdef,mobile,print}_client<id>_
 * session<n>_<device>_{photo,video}_...; highdef (iPad) and mobile (iPhone) are replays, print is print.
 */
export function parseReplayAttackName(relPath: string): VideoLabel {
  const { folders, stem } = splitPath(relPath);
  const split = splitOf(folders, { train: 'train', devel: 'devel', test: 'test' });
  const base = { source: 'replay-attack', ...(split ? { split } : {}) };
  const live = /^client(\d+)_session\d+/i.exec(stem);
  if (live) {
    checkFolders('replay-attack', relPath, folders, 'live');
    return {
      ...base,
      label: 'live',
      attack: 'none',
      subject: `replay-attack-${live[1]}`,
      extra: { attack_type: 'none', support: '' },
    };
  }
  const attack = /^attack_(highdef|mobile|print)_client(\d+)_/i.exec(stem);
  if (!attack) throw mismatch('replay-attack', relPath);
  checkFolders('replay-attack', relPath, folders, 'spoof');
  const medium = attack[1]!.toLowerCase();
  const content = /_(photo|video)(?:_|$)/i.exec(stem)?.[1]?.toLowerCase();
  const support = last(folders.map((f) => (/^(fixed|hand)$/i.test(f) ? f.toLowerCase() : undefined))) ?? '';
  return {
    ...base,
    label: 'spoof',
    attack: medium === 'print' ? 'print' : 'replay',
    subject: `replay-attack-${attack[2]}`,
    extra: { attack_type: content ? `${medium}-${content}` : medium, support },
  };
}

const MSU_ATTACKS: Record<string, [string, string]> = {
  ipad_video: ['replay', 'ipad-video'],
  iphone_video: ['replay', 'iphone-video'],
  printed_photo: ['print', 'printed-photo'],
};

/** MSU-MFSD: real_client<id>_<device>_..., attack_client<id>_<device>_..._{ipad_video,iphone_video,printed_photo}_... */
export function parseMsuName(relPath: string): VideoLabel {
  const { folders, stem } = splitPath(relPath);
  const match = /^(real|attack)_client(\d+)_([a-z0-9]+)(?:_|$)/i.exec(stem);
  if (!match) throw mismatch('msu', relPath);
  const label: Label = match[1]!.toLowerCase() === 'real' ? 'live' : 'spoof';
  checkFolders('msu', relPath, folders, label);
  const base = { source: 'msu-mfsd', subject: `msu-${match[2]}`, label };
  const device = match[3]!.toLowerCase();
  if (label === 'live') return { ...base, attack: 'none', extra: { attack_type: 'none', device } };
  const kind = /(ipad_video|iphone_video|printed_photo)/i.exec(stem)?.[1]?.toLowerCase();
  if (!kind) throw mismatch('msu', relPath, 'an msu attack name without ipad_video, iphone_video or printed_photo');
  const [attack, attackType] = MSU_ATTACKS[kind]!;
  return { ...base, attack, extra: { attack_type: attackType, device } };
}

/** OULU-NPU: <phone>_<session>_<user>_<file>; file 1 live, 2-3 print (printer 1, 2), 4-5 replay (display 1, 2). */
export function parseOuluName(relPath: string): VideoLabel {
  const { folders, stem } = splitPath(relPath);
  const match = /^(\d+)_(\d+)_(\d+)_(\d+)$/.exec(stem);
  const file = Number(match?.[4]);
  if (!match || file < 1 || file > 5) throw mismatch('oulu', relPath);
  const split = splitOf(folders, { train_files: 'train', dev_files: 'dev', test_files: 'test' });
  const [label, attack, attackType] = (
    [
      ['live', 'none', 'none'],
      ['spoof', 'print', 'print1'],
      ['spoof', 'print', 'print2'],
      ['spoof', 'replay', 'replay1'],
      ['spoof', 'replay', 'replay2'],
    ] as const
  )[file - 1]!;
  return {
    label,
    attack,
    subject: `oulu-${match[3]}`,
    source: 'oulu-npu',
    ...(split ? { split } : {}),
    extra: { attack_type: attackType, phone: match[1]!, session: match[2]! },
  };
}

const PARSERS: Record<VideoNaming, (relPath: string) => VideoLabel> = {
  casia: parseCasiaName,
  'replay-attack': parseReplayAttackName,
  msu: parseMsuName,
  oulu: parseOuluName,
};

/** Label, attack, subject and split of a video from its path relative to the dataset root; throws INVALID_INPUT. */
export function parseVideoName(naming: VideoNaming, relPath: string): VideoLabel {
  return PARSERS[naming](relPath);
}

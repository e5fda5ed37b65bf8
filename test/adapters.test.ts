import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { antispoof } from './helpers/cli.js';
import { buildManifest, formatManifest, writeManifest, type AdapterRow } from '../src/data/adapters/index.js';
import { csvCell } from '../src/data/adapters/write-manifest.js';
import { classifyFolderPath } from '../src/data/adapters/folders.js';
import { parseNuaaSplitFile } from '../src/data/adapters/nuaa.js';
import {
  parseCasiaName,
  parseMsuName,
  parseOuluName,
  parseReplayAttackName,
  parseVideoName,
} from '../src/data/adapters/video-naming.js';
import { parseManifest, readManifest } from '../src/data/manifest.js';
import { isAntispoofError } from '../src/errors.js';

const run = promisify(execFile);

async function tempDir(name: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `antispoof-adapters-${name}-`));
}

async function put(file: string, content: string | Buffer): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, content);
}

async function tinyImage(width: number, height: number, format: 'jpeg' | 'png' = 'jpeg'): Promise<Buffer> {
  const image = sharp({ create: { width, height, channels: 3, background: { r: 120, g: 90, b: 60 } } });
  return format === 'jpeg' ? image.jpeg().toBuffer() : image.png().toBuffer();
}

/** The error an async call rejects with; fails the test when it resolves. */
async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

/** Writes the manifest next to `dir` and reads it back with the project's reader. */
async function roundTrip(dir: string, rows: AdapterRow[]) {
  const file = join(dir, 'out', 'manifest.csv');
  await writeManifest(file, rows);
  return { entries: await readManifest(file), text: await readFile(file, 'utf8') };
}

function vector(spoofType: number, illumination = 0, environment = 0, spoof = spoofType === 0 ? 0 : 1): number[] {
  return [...new Array<number>(40).fill(0), spoofType, illumination, environment, spoof];
}

describe('write-manifest', () => {
  it('quotes cells that need it and writes split, extra and box columns only when present', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell(' padded')).toBe('" padded"');
    const base = { label: 'live', attack: 'none', source: 's', framing: 'tight', width: 10, height: 20 } as const;
    expect(formatManifest([{ ...base, path: 'a.jpg', subject: 'x' }])).toBe(
      'path,label,attack,subject,source,framing,width,height\na.jpg,live,none,x,s,tight,10,20\n',
    );
    const rows: AdapterRow[] = [
      { ...base, path: 'dir, with comma/a "b".jpg', subject: 'Smith, J.', split: 'train', extra: { k: 'v' } },
      { ...base, path: 'c.jpg', subject: 'line\nbreak', box: { x: 1, y: 2.345, w: 3.5, h: 4 } },
    ];
    const text = formatManifest(rows);
    expect(text.split('\n')[0]).toBe(
      'path,label,attack,subject,source,framing,width,height,split,k,box_x,box_y,box_w,box_h',
    );
    const entries = parseManifest(text, 'memory.csv');
    expect(entries.map((e) => e.path)).toEqual(['dir, with comma/a "b".jpg', 'c.jpg']);
    expect(entries.map((e) => e.subject)).toEqual(['Smith, J.', 'line\nbreak']);
    expect(entries[0]!.columns).toMatchObject({ split: 'train', k: 'v', box_x: '' });
    expect(entries[1]!.columns).toMatchObject({
      split: '',
      k: '',
      box_x: '1',
      box_y: '2.35',
      box_w: '3.5',
      box_h: '4',
    });
  });
});

describe('celeba-spoof adapter', () => {
  async function layout(): Promise<string> {
    const root = await tempDir('celeba');
    await put(join(root, 'Data/train/1001/live/000001.jpg'), await tinyImage(112, 224));
    await put(join(root, 'Data/train/1001/live/000001_BB.txt'), '56 28 112 112 0.99\n');
    await put(join(root, 'Data/train/1001/spoof/000002.png'), await tinyImage(224, 224, 'png'));
    await put(join(root, 'Data/train/1001/spoof/000002_BB.txt'), '10 20 30 40 0.9');
    await put(join(root, 'Data/test/2002/spoof/000003.jpg'), await tinyImage(64, 64)); // no _BB.txt
    await put(join(root, 'Data/test/2002/live/000004.jpg'), await tinyImage(64, 64)); // not in the labels
    await put(
      join(root, 'metas/intra_test/train_label.json'),
      JSON.stringify(
        { 'Data/train/1001/live/000001.jpg': vector(0), 'Data/train/1001/spoof/000002.png': vector(3, 2, 1) },
        null,
        1,
      ),
    );
    await put(
      join(root, 'metas/intra_test/test_label.json'),
      JSON.stringify(
        { 'Data/test/2002/spoof/000003.jpg': vector(8, 1, 2), 'Data/test/2002/spoof/999999.jpg': vector(10, 1, 1) },
        null,
        1,
      ),
    );
    return root;
  }

  it('reads labels, attack types, splits and boxes scaled from 224 to the image size', async () => {
    const root = await layout();
    const result = await buildManifest('celeba-spoof', { root, manifestFile: join(root, 'out', 'manifest.csv') });
    expect(result.base).toBe(root);
    const byPath = new Map(result.rows.map((row) => [row.path, row]));
    expect(byPath.get('Data/train/1001/live/000001.jpg')).toMatchObject({
      label: 'live',
      attack: 'none',
      subject: 'celeba-1001',
      source: 'celeba-spoof',
      split: 'train',
      width: 112,
      height: 224,
      box: { x: 28, y: 28, w: 56, h: 112 },
      extra: { attack_type: 'live', illumination: '0', environment: '0' },
    });
    expect(byPath.get('Data/train/1001/spoof/000002.png')).toMatchObject({
      label: 'spoof',
      attack: 'print',
      extra: { attack_type: 'a4', illumination: '2', environment: '1' },
      box: { x: 10, y: 20, w: 30, h: 40 },
    });
    const replay = byPath.get('Data/test/2002/spoof/000003.jpg')!;
    expect(replay).toMatchObject({ label: 'spoof', attack: 'replay', split: 'test', extra: { attack_type: 'pad' } });
    expect(replay.box).toBeUndefined();
    expect(byPath.get('Data/test/2002/live/000004.jpg')).toMatchObject({ label: 'live', attack: 'none' });
    expect(result.notes.join('\n')).toMatch(/2 images have no _BB\.txt box.*000003\.jpg/);
    expect(result.notes.join('\n')).toMatch(/1 images are not in the label files.*000004\.jpg/);
    expect(result.notes.join('\n')).toMatch(/1 labelled images were not found.*999999\.jpg/);

    const { entries, text } = await roundTrip(root, result.rows);
    expect(entries).toHaveLength(4);
    expect(text.split('\n')[0]).toBe(
      'path,label,attack,subject,source,framing,width,height,split,attack_type,illumination,environment,box_x,box_y,box_w,box_h',
    );
    expect(entries.find((e) => e.path.endsWith('000001.jpg'))!.columns).toMatchObject({ box_w: '56', box_h: '112' });
  });

  it('maps every spoof type to an attack', async () => {
    const root = await tempDir('celeba-types');
    const labels: Record<string, number[]> = {};
    for (let type = 1; type <= 10; type++) {
      const key = `Data/train/7/spoof/${type}.jpg`;
      await put(join(root, key), await tinyImage(16, 16));
      labels[key] = vector(type);
    }
    await put(join(root, 'metas/intra_test/train_label.json'), JSON.stringify(labels));
    const { rows } = await buildManifest('celeba-spoof', { root, manifestFile: join(root, 'm.csv') });
    const attacks = Object.fromEntries(rows.map((row) => [row.extra!.attack_type!, row.attack]));
    expect(attacks).toEqual({
      photo: 'print',
      poster: 'print',
      a4: 'print',
      'face-mask': 'mask',
      'upper-body-mask': 'mask',
      'region-mask': 'mask',
      pc: 'replay',
      pad: 'replay',
      phone: 'replay',
      '3d-mask': 'mask3d',
    });
  });

  it('rejects malformed label files, naming the file and line', async () => {
    const root = await layout();
    const labelFile = join(root, 'metas/intra_test/train_label.json');
    const manifestFile = join(root, 'm.csv');

    await writeFile(labelFile, '{\n "Data/train/1001/live/000001.jpg": [0, 0,\n}');
    let error = await failure(buildManifest('celeba-spoof', { root, manifestFile }));
    expect(isAntispoofError(error) && error.code).toBe('INVALID_INPUT');
    expect(error.message).toContain(labelFile);
    expect(error.message).toMatch(/not valid JSON/);

    await writeFile(labelFile, '[1, 2]');
    error = await failure(buildManifest('celeba-spoof', { root, manifestFile }));
    expect(error.message).toMatch(/expected a JSON object/);

    const short = { 'Data/train/1001/live/000001.jpg': vector(0), 'Data/train/1001/spoof/000002.png': [0, 3, 1] };
    await writeFile(labelFile, JSON.stringify(short, null, 1));
    error = await failure(buildManifest('celeba-spoof', { root, manifestFile }));
    expect(error.message).toContain(`${labelFile} line 48: "Data/train/1001/spoof/000002.png"`);
    expect(error.message).toMatch(/44 numbers, got 3 elements/);

    await writeFile(labelFile, JSON.stringify({ 'Data/train/1001/live/000001.jpg': vector(11) }));
    error = await failure(buildManifest('celeba-spoof', { root, manifestFile }));
    expect(error.message).toMatch(/spoof type \(element 40\) must be 0-10, got 11/);

    await writeFile(labelFile, JSON.stringify({ 'Data/train/1001/live/000001.jpg': vector(0, 0, 0, 1) }));
    error = await failure(buildManifest('celeba-spoof', { root, manifestFile }));
    expect(error.message).toMatch(/contradicts/);
  });

  it('rejects a label that disagrees with the folder, naming the label file', async () => {
    const root = await layout();
    const labelFile = join(root, 'metas/intra_test/train_label.json');
    await writeFile(
      labelFile,
      JSON.stringify(
        { 'Data/train/1001/live/000001.jpg': vector(7), 'Data/train/1001/spoof/000002.png': vector(3) },
        null,
        1,
      ),
    );
    const error = await failure(buildManifest('celeba-spoof', { root, manifestFile: join(root, 'm.csv') }));
    expect(isAntispoofError(error) && error.code).toBe('INVALID_INPUT');
    expect(error.message).toContain(`${labelFile} line 2`);
    expect(error.message).toMatch(/000001\.jpg" is labelled spoof \(type 7\) but the image is in a live folder/);
  });

  it('rejects a malformed box file and a missing label file', async () => {
    const root = await layout();
    const boxFile = join(root, 'Data/train/1001/live/000001_BB.txt');
    await writeFile(boxFile, 'x y w h\n');
    let error = await failure(buildManifest('celeba-spoof', { root, manifestFile: join(root, 'm.csv') }));
    expect(error.message).toContain(`${boxFile} line 1: expected "x y w h score"`);

    await writeFile(boxFile, '');
    const { notes } = await buildManifest('celeba-spoof', { root, manifestFile: join(root, 'm.csv') });
    expect(notes.join('\n')).toMatch(/3 images have no _BB\.txt box/);

    const rootWithoutLabels = await tempDir('celeba-nolabels');
    await put(join(rootWithoutLabels, 'Data/train/1/live/1.jpg'), await tinyImage(16, 16));
    error = await failure(buildManifest('celeba-spoof', { root: rootWithoutLabels, manifestFile: 'm.csv' }));
    expect(error.message).toContain(join(rootWithoutLabels, 'metas/intra_test/train_label.json'));

    error = await failure(buildManifest('celeba-spoof', { root: await tempDir('empty'), manifestFile: 'm.csv' }));
    expect(error.message).toMatch(/no Data folder/);
  });
});

describe('folders adapter', () => {
  it('takes the label from the top folder, the attack type and subject from the sub-folders', () => {
    expect(classifyFolderPath('live/a.jpg', 'src')).toEqual({ label: 'live', attack: 'none', subject: 'src' });
    expect(classifyFolderPath('Real/alice/x/a.jpg', 'src')).toEqual({
      label: 'live',
      attack: 'none',
      subject: 'alice',
    });
    expect(classifyFolderPath('spoof/a.jpg', 'src')).toEqual({ label: 'spoof', attack: 'unknown', subject: 'src' });
    expect(classifyFolderPath('fake/Print/a.jpg', 'src')).toEqual({ label: 'spoof', attack: 'print', subject: 'src' });
    expect(classifyFolderPath('attack/replay/bob/a.jpg', 'src')).toEqual({
      label: 'spoof',
      attack: 'replay',
      subject: 'bob',
    });
    expect(classifyFolderPath('other/a.jpg', 'src')).toBeUndefined();
  });

  it('writes a manifest of a folder of photos that readManifest reads back', async () => {
    const parent = await tempDir('folders');
    const root = join(parent, 'my-phone');
    await put(join(root, 'live/alice/1.jpg'), await tinyImage(40, 30));
    await put(join(root, 'live/2.png'), await tinyImage(20, 20, 'png'));
    await put(join(root, 'bonafide/3.jpg'), await tinyImage(20, 20));
    await put(join(root, 'spoof/print/bob/4.jpg'), await tinyImage(20, 20));
    await put(join(root, 'spoof/replay/5.jpg'), await tinyImage(20, 20));
    await put(join(root, 'spoof/6.jpg'), await tinyImage(20, 20));
    await put(join(root, 'spoof/notes.txt'), 'not an image');
    await put(join(root, 'spoof/print/broken.jpg'), 'not a jpeg');
    await put(join(root, 'spoof/.DS_Store'), 'hidden');
    await put(join(root, 'misc/7.jpg'), await tinyImage(20, 20));

    const result = await buildManifest('folders', { root, manifestFile: join(parent, 'manifest.csv') });
    expect(result.base).toBe(root);
    expect(result.rows.map((row) => [row.path, row.label, row.attack, row.subject, row.width, row.height])).toEqual([
      ['bonafide/3.jpg', 'live', 'none', 'my-phone', 20, 20],
      ['live/2.png', 'live', 'none', 'my-phone', 20, 20],
      ['live/alice/1.jpg', 'live', 'none', 'alice', 40, 30],
      ['spoof/6.jpg', 'spoof', 'unknown', 'my-phone', 20, 20],
      ['spoof/print/bob/4.jpg', 'spoof', 'print', 'bob', 20, 20],
      ['spoof/replay/5.jpg', 'spoof', 'replay', 'my-phone', 20, 20],
    ]);
    expect(result.rows.every((row) => row.source === 'my-phone' && row.framing === 'context2x')).toBe(true);
    const notes = result.notes.join('\n');
    expect(notes).toMatch(/1 other folders ignored \(misc\)/);
    expect(notes).toMatch(/1 files that are not images skipped \(spoof\/notes\.txt\)/);
    expect(notes).toMatch(/1 unreadable images skipped.*broken\.jpg/);
    const { entries, text } = await roundTrip(parent, result.rows);
    expect(entries).toHaveLength(6);
    expect(text).not.toMatch(/split|box_x/);

    const tight = await buildManifest('folders', {
      root,
      manifestFile: join(parent, 'manifest.csv'),
      source: 'lab',
      framing: 'tight',
    });
    expect(tight.rows.every((row) => row.source === 'lab' && row.framing === 'tight')).toBe(true);
  });

  it('rejects a folder with neither live nor spoof images, and an attack folder called none', async () => {
    const root = await tempDir('folders-bad');
    await put(join(root, 'photos/1.jpg'), await tinyImage(20, 20));
    let error = await failure(buildManifest('folders', { root, manifestFile: join(root, 'm.csv') }));
    expect(error.message).toMatch(/no live\/real\/bonafide or spoof\/fake\/attack folder/);
    await put(join(root, 'spoof/none/1.jpg'), await tinyImage(20, 20));
    error = await failure(buildManifest('folders', { root, manifestFile: join(root, 'm.csv') }));
    expect(error.message).toMatch(/spoof\/none\/1\.jpg: an attack type folder cannot be called "none"/);
    error = await failure(buildManifest('folders', { root: join(root, 'nowhere'), manifestFile: 'm.csv' }));
    expect(error.message).toMatch(/cannot read dataset folder/);
  });
});

describe('nuaa adapter', () => {
  async function layout(): Promise<string> {
    const root = await tempDir('nuaa');
    for (const file of [
      'ClientRaw/0001/0001_00_00_01_0.jpg',
      'ClientRaw/0001/0001_00_00_01_1.jpg',
      'ClientRaw/0002/0002_00_00_01_0.jpg',
      'ImposterRaw/0001/0001_00_00_01_0.jpg',
      'ImposterRaw/0002/0002_00_00_01_0.jpg',
    ])
      await put(join(root, file), await tinyImage(32, 24));
    await put(join(root, 'client_train_raw.txt'), '0001\\0001_00_00_01_0.jpg\r\n0001\\0001_00_00_01_1.jpg\r\n');
    await put(join(root, 'client_test_raw.txt'), '0002\\0002_00_00_01_0.jpg\r\n0003\\0003_00_00_01_0.jpg\r\n');
    await put(join(root, 'imposter_train_raw.txt'), '0001\\0001_00_00_01_0.jpg\n');
    await put(join(root, 'imposter_test_raw.txt'), '\n');
    return root;
  }

  it('parses split files with backslashes and rejects paths that leave the folder', () => {
    expect(parseNuaaSplitFile('0001\\a.jpg\r\n\r\n./0002/b.jpg\n', 'list.txt')).toEqual([
      { path: '0001/a.jpg', line: 1 },
      { path: '0002/b.jpg', line: 3 },
    ]);
    expect(() => parseNuaaSplitFile('0001\\a.jpg\n..\\..\\etc\\passwd\n', 'list.txt')).toThrow(
      /list\.txt line 2: expected a path relative to the image folder/,
    );
    expect(() => parseNuaaSplitFile('C:\\nuaa\\a.jpg', 'list.txt')).toThrow(/list\.txt line 1/);
  });

  it('labels ClientRaw live and ImposterRaw print, with the official split', async () => {
    const root = await layout();
    const result = await buildManifest('nuaa', { root, manifestFile: join(root, 'manifest.csv') });
    expect(result.rows.map((row) => [row.path, row.label, row.attack, row.subject, row.split])).toEqual([
      ['ClientRaw/0001/0001_00_00_01_0.jpg', 'live', 'none', 'nuaa-0001', 'train'],
      ['ClientRaw/0001/0001_00_00_01_1.jpg', 'live', 'none', 'nuaa-0001', 'train'],
      ['ClientRaw/0002/0002_00_00_01_0.jpg', 'live', 'none', 'nuaa-0002', 'test'],
      ['ImposterRaw/0001/0001_00_00_01_0.jpg', 'spoof', 'print', 'nuaa-0001', 'train'],
      ['ImposterRaw/0002/0002_00_00_01_0.jpg', 'spoof', 'print', 'nuaa-0002', ''],
    ]);
    expect(result.rows[0]).toMatchObject({ source: 'nuaa', width: 32, height: 24 });
    const notes = result.notes.join('\n');
    expect(notes).toMatch(/1 images are in no split file.*ImposterRaw\/0002/);
    expect(notes).toMatch(/1 listed images were not found.*client_test_raw\.txt line 2/);
    const { entries } = await roundTrip(root, result.rows);
    expect(entries.map((e) => e.columns.split)).toEqual(['train', 'train', 'test', 'train', '']);
  });

  it('rejects an image listed in both train and test, naming both places', async () => {
    const root = await layout();
    await writeFile(join(root, 'client_test_raw.txt'), '0002\\0002_00_00_01_0.jpg\n0001\\0001_00_00_01_1.jpg\n');
    const error = await failure(buildManifest('nuaa', { root, manifestFile: join(root, 'm.csv') }));
    expect(error.message).toContain(`${join(root, 'client_test_raw.txt')} line 2`);
    expect(error.message).toContain(`already in the train split (${join(root, 'client_train_raw.txt')} line 2)`);
  });

  it('works without split files (no split column) and refuses a folder that is not NUAA', async () => {
    const root = await tempDir('nuaa-nosplit');
    await put(join(root, 'ImposterRaw/0009/a.jpg'), await tinyImage(16, 16));
    const result = await buildManifest('nuaa', { root, manifestFile: join(root, 'm.csv') });
    expect(result.rows).toHaveLength(1);
    expect(result.rows[0]!.split).toBeUndefined();
    expect(result.notes.join('\n')).toMatch(/no split files/);
    const error = await failure(buildManifest('nuaa', { root: await tempDir('nope'), manifestFile: 'm.csv' }));
    expect(error.message).toMatch(/no ClientRaw or ImposterRaw folder/);
  });
});

describe('video naming rules', () => {
  it('CASIA-FASD', () => {
    const cases: [string, string, string, string, string][] = [
      ['train_release/1/1.avi', 'live', 'none', 'none', 'low'],
      ['train_release/1/2.avi', 'live', 'none', 'none', 'normal'],
      ['train_release/1/HR_1.avi', 'live', 'none', 'none', 'high'],
      ['train_release/1/3.avi', 'spoof', 'print', 'warped-photo', 'low'],
      ['train_release/1/4.avi', 'spoof', 'print', 'warped-photo', 'normal'],
      ['train_release/1/HR_2.avi', 'spoof', 'print', 'warped-photo', 'high'],
      ['train_release/1/5.avi', 'spoof', 'print', 'cut-photo', 'low'],
      ['train_release/1/6.avi', 'spoof', 'print', 'cut-photo', 'normal'],
      ['train_release/1/HR_3.avi', 'spoof', 'print', 'cut-photo', 'high'],
      ['train_release/1/7.avi', 'spoof', 'replay', 'video', 'low'],
      ['train_release/1/8.avi', 'spoof', 'replay', 'video', 'normal'],
      ['train_release/1/HR_4.avi', 'spoof', 'replay', 'video', 'high'],
    ];
    for (const [path, label, attack, attackType, quality] of cases)
      expect(parseCasiaName(path), path).toMatchObject({
        label,
        attack,
        subject: 'casia-train-1',
        split: 'train',
        source: 'casia-fasd',
        extra: { attack_type: attackType, quality },
      });
    expect(parseCasiaName('test_release/1/1.avi').subject).toBe('casia-test-1');
    expect(parseCasiaName('12/hr_1.avi')).toMatchObject({ subject: 'casia-12', label: 'live' });
    expect(parseCasiaName('12/hr_1.avi').split).toBeUndefined();
    for (const bad of ['1/9.avi', '1/HR_5.avi', 'alice/1.avi', '1.avi'])
      expect(() => parseCasiaName(bad), bad).toThrow(/not a casia video name/);
  });

  it('Replay-Attack', () => {
    expect(parseReplayAttackName('train/real/client001_session01_webcam_authenticate_adverse_1.mov')).toEqual({
      label: 'live',
      attack: 'none',
      subject: 'replay-attack-001',
      source: 'replay-attack',
      split: 'train',
      extra: { attack_type: 'none', support: '' },
    });
    expect(
      parseReplayAttackName('devel/attack/fixed/attack_highdef_client002_session01_highdef_photo_adverse.mov'),
    ).toMatchObject({
      label: 'spoof',
      attack: 'replay',
      subject: 'replay-attack-002',
      split: 'devel',
      extra: { attack_type: 'highdef-photo', support: 'fixed' },
    });
    expect(
      parseReplayAttackName('test/attack/hand/attack_mobile_client003_session01_mobile_video_controlled.mov'),
    ).toMatchObject({ attack: 'replay', split: 'test', extra: { attack_type: 'mobile-video', support: 'hand' } });
    expect(
      parseReplayAttackName('attack/hand/attack_print_client004_session01_highdef_photo_adverse.mov'),
    ).toMatchObject({ attack: 'print', subject: 'replay-attack-004', extra: { attack_type: 'print-photo' } });
    expect(parseReplayAttackName('enroll/train/client005_session01_enroll_adverse_1.mov')).toMatchObject({
      label: 'live',
      split: 'train',
    });
    expect(() => parseReplayAttackName('real/attack_print_client004_session01_highdef_photo_adverse.mov')).toThrow(
      /a spoof replay-attack file name in a "real" folder/,
    );
    expect(() => parseReplayAttackName('attack/hand/client004_session01_webcam.mov')).toThrow(/"attack" folder/);
    expect(() => parseReplayAttackName('train/real/person1.mov')).toThrow(/not a replay-attack video name/);
  });

  it('MSU-MFSD', () => {
    expect(parseMsuName('real/real_client002_android_SD_scene01.mp4')).toEqual({
      label: 'live',
      attack: 'none',
      subject: 'msu-002',
      source: 'msu-mfsd',
      extra: { attack_type: 'none', device: 'android' },
    });
    expect(parseMsuName('attack/attack_client002_laptop_SD_ipad_video_scene01.mov')).toMatchObject({
      label: 'spoof',
      attack: 'replay',
      extra: { attack_type: 'ipad-video', device: 'laptop' },
    });
    expect(parseMsuName('attack_client003_android_SD_iphone_video_scene01.mp4').extra.attack_type).toBe('iphone-video');
    expect(parseMsuName('attack_client003_android_SD_printed_photo_scene01.mp4')).toMatchObject({
      attack: 'print',
      subject: 'msu-003',
      extra: { attack_type: 'printed-photo' },
    });
    expect(() => parseMsuName('attack_client003_android_SD_scene01.mp4')).toThrow(/without ipad_video/);
    expect(() => parseMsuName('client003_android.mp4')).toThrow(/not a msu video name/);
  });

  it('OULU-NPU', () => {
    const cases: [string, string, string, string][] = [
      ['1_1_01_1.avi', 'live', 'none', 'none'],
      ['1_1_01_2.avi', 'spoof', 'print', 'print1'],
      ['1_1_01_3.avi', 'spoof', 'print', 'print2'],
      ['1_1_01_4.avi', 'spoof', 'replay', 'replay1'],
      ['1_1_01_5.avi', 'spoof', 'replay', 'replay2'],
    ];
    for (const [path, label, attack, attackType] of cases)
      expect(parseOuluName(path), path).toMatchObject({
        label,
        attack,
        subject: 'oulu-01',
        extra: { attack_type: attackType },
      });
    expect(parseOuluName('Dev_files/6_3_35_4.avi')).toMatchObject({
      subject: 'oulu-35',
      split: 'dev',
      source: 'oulu-npu',
      extra: { phone: '6', session: '3' },
    });
    expect(parseOuluName('Train_files/1_1_01_1.avi').split).toBe('train');
    expect(parseOuluName('Test_files/1_1_36_1.avi').split).toBe('test');
    for (const bad of ['1_1_01_6.avi', '1_1_01.avi', 'a_1_01_1.avi'])
      expect(() => parseOuluName(bad), bad).toThrow(/not a oulu video name/);
  });

  it('dispatches on the naming convention', () => {
    expect(parseVideoName('oulu', '2_1_03_4.avi').attack).toBe('replay');
    expect(parseVideoName('casia', '3/HR_4.avi').attack).toBe('replay');
    expect(parseVideoName('msu', 'real_client001_laptop_SD_scene01.mov').label).toBe('live');
    expect(parseVideoName('replay-attack', 'client009_session01_webcam_authenticate_controlled_2.mov').label).toBe(
      'live',
    );
  });
});

const hasFfmpeg = spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' }).status === 0;

describe('videos adapter', () => {
  it('names the ffmpeg package when ffmpeg is missing, and rejects names off the convention first', async () => {
    const root = await tempDir('videos-noffmpeg');
    await put(join(root, '1_1_01_1.avi'), 'not really a video');
    const manifestFile = join(root, 'out', 'manifest.csv');
    let error = await failure(
      buildManifest('videos', { root, manifestFile, naming: 'oulu', ffmpeg: join(root, 'no-such-ffmpeg') }),
    );
    expect(isAntispoofError(error) && error.code).toBe('INVALID_INPUT');
    expect(error.message).toMatch(/apt-get install ffmpeg/);

    await put(join(root, 'holiday.mp4'), 'x');
    error = await failure(buildManifest('videos', { root, manifestFile, naming: 'oulu' }));
    expect(error.message).toMatch(/1 of 2 video names do not follow the oulu convention:\n {2}holiday\.mp4/);
    error = await failure(buildManifest('videos', { root, manifestFile }));
    expect(error.message).toMatch(/needs --naming/);
  });

  const sampling = 'samples frames with ffmpeg, one row per frame';
  it.skipIf(!hasFfmpeg)(
    hasFfmpeg ? sampling : `${sampling}: SKIPPED, ffmpeg is not on PATH (apt-get install ffmpeg)`,
    async () => {
      const root = await tempDir('videos');
      const make = (file: string) =>
        run('ffmpeg', [
          '-v',
          'error',
          '-f',
          'lavfi',
          '-i',
          'testsrc=size=64x64:rate=5',
          '-t',
          '1',
          '-pix_fmt',
          'yuv420p',
          file,
        ]);
      await mkdir(join(root, 'Train_files'), { recursive: true });
      await make(join(root, 'Train_files', '1_1_01_1.avi'));
      await make(join(root, 'Train_files', '1_1_01_4.avi'));
      await put(join(root, 'Train_files', 'readme.txt'), 'protocol notes');
      const out = await tempDir('videos-out');
      const manifestFile = join(out, 'manifest.csv');

      const result = await buildManifest('videos', { root, manifestFile, naming: 'oulu', fps: 2 });
      expect(result.base).toBe(out);
      const frames = await readdir(join(out, 'frames', 'Train_files', '1_1_01_1'));
      expect(frames.length).toBeGreaterThanOrEqual(2);
      expect(frames.every((name) => /^\d{4}\.jpg$/.test(name))).toBe(true);
      expect(frames[0]).toBe('0001.jpg');
      const live = result.rows.filter((row) => row.extra?.video === 'Train_files/1_1_01_1.avi');
      const replay = result.rows.filter((row) => row.extra?.video === 'Train_files/1_1_01_4.avi');
      expect(live).toHaveLength(frames.length);
      expect(replay.length).toBeGreaterThanOrEqual(2);
      expect(live[0]).toMatchObject({
        path: 'frames/Train_files/1_1_01_1/0001.jpg',
        label: 'live',
        attack: 'none',
        subject: 'oulu-01',
        source: 'oulu-npu',
        split: 'train',
        framing: 'full',
        width: 64,
        height: 64,
      });
      expect(replay[0]).toMatchObject({ label: 'spoof', attack: 'replay', extra: { attack_type: 'replay1' } });
      expect(result.notes.join('\n')).toMatch(/not videos skipped \(Train_files\/readme\.txt\)/);

      await writeManifest(manifestFile, result.rows);
      const entries = await readManifest(manifestFile);
      expect(entries).toHaveLength(result.rows.length);
      for (const entry of entries) expect(existsSync(join(out, entry.path))).toBe(true);

      const again = await buildManifest('videos', { root, manifestFile, naming: 'oulu', fps: 2 });
      expect(again.rows).toEqual(result.rows);
      expect(again.notes.join('\n')).toMatch(/2 videos had frames from an earlier run/);
    },
  );
});

describe('antispoof manifest (CLI)', () => {
  it('writes a manifest of a folder of photos and says which --root to pass on', async () => {
    const root = await tempDir('cli');
    await put(join(root, 'live/1.jpg'), await tinyImage(20, 20));
    await put(join(root, 'spoof/print/2.jpg'), await tinyImage(20, 20));
    const out = join(await tempDir('cli-out'), 'manifest.csv');
    const ok = await antispoof('manifest', 'folders', root, '--out', out, '--source', 'desk');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/wrote 2 rows \(1 live, 1 spoof; none 1, print 1\)/);
    expect(ok.stdout).toContain(`paths are relative to ${root}: pass --root`);
    const entries = await readManifest(out);
    expect(entries.map((e) => [e.path, e.label, e.attack, e.source])).toEqual([
      ['live/1.jpg', 'live', 'none', 'desk'],
      ['spoof/print/2.jpg', 'spoof', 'print', 'desk'],
    ]);

    const usage = await antispoof('manifest', 'folders', root, '--out', out, '--fps', '2');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--fps only apply to the videos layout/);
    const unknown = await antispoof('manifest', 'casia', root, '--out', out);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Allowed choices are celeba-spoof, folders, nuaa, videos/);
    const missing = await antispoof('manifest', 'nuaa', root, '--out', out);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no ClientRaw or ImposterRaw folder/);
  });
});

import { describe, expect, it } from 'vitest';
import { cropFace, cropSquare, reflect101, shiftedWindow, squareAround } from '../src/crop/index.js';
import { AntispoofError } from '../src/errors.js';
import { patternImage } from './helpers/images.js';

/** Grey pattern: every channel of pixel (x, y) holds `value(x, y)`; returns channel 0 of a crop as rows. */
function grey(width: number, height: number, value: (x: number, y: number) => number) {
  return patternImage(width, height, (x, y) => value(x, y));
}
function rows(crop: { data: Uint8Array; width: number; height: number }): number[][] {
  return Array.from({ length: crop.height }, (_, y) =>
    Array.from({ length: crop.width }, (_, x) => crop.data[(y * crop.width + x) * 3]!),
  );
}

describe('squareAround', () => {
  it('is cropScale x the longer side, centred on the box', () => {
    expect(squareAround({ x: 10, y: 20, width: 40, height: 20 }, 1.5)).toEqual({ x: 0, y: 0, side: 60 });
    expect(squareAround({ x: 0, y: 0, width: 10, height: 10 }, 1)).toEqual({ x: 0, y: 0, side: 10 });
  });
  it('rejects empty boxes and bad scales', () => {
    expect(() => squareAround({ x: 0, y: 0, width: 0, height: 5 }, 1.5)).toThrow(AntispoofError);
    expect(() => squareAround({ x: 0, y: 0, width: 5, height: 5 }, 0)).toThrow(AntispoofError);
  });
});

describe('reflect101', () => {
  it('mirrors without repeating the edge pixel', () => {
    expect([-3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7].map((i) => reflect101(i, 5))).toEqual([
      3, 2, 1, 0, 1, 2, 3, 4, 3, 2, 1,
    ]);
  });
  it('handles one-pixel images and indices many periods away', () => {
    expect(reflect101(-7, 1)).toBe(0);
    expect(reflect101(100, 3)).toBe(reflect101(100 % 4, 3));
  });
});

describe('cropFace geometry (side equal to the output: no resampling)', () => {
  const image = grey(10, 10, (x, y) => x + 10 * y);

  it('reflects where the box leaves the image at the top-left edge', () => {
    const crop = cropFace(image, { x: -1, y: -1, width: 4, height: 4 }, { cropScale: 1, size: 4 });
    // columns and rows -1,0,1,2 -> 1,0,1,2
    expect(rows(crop)).toEqual([
      [11, 10, 11, 12],
      [1, 0, 1, 2],
      [11, 10, 11, 12],
      [21, 20, 21, 22],
    ]);
  });

  it('handles a box larger than the image', () => {
    const small = grey(3, 3, (x, y) => x + 3 * y);
    const crop = cropFace(small, { x: -3, y: -3, width: 9, height: 9 }, { cropScale: 1, size: 9 });
    const index = [1, 2, 1, 0, 1, 2, 1, 0, 1]; // reflect101(-3..5, 3)
    expect(rows(crop)).toEqual(index.map((y) => index.map((x) => x + 3 * y)));
  });

  it('squares a non-square image by reflecting rows', () => {
    const wide = grey(8, 4, (x, y) => x + 8 * y);
    const crop = cropFace(wide, { x: 0, y: 0, width: 8, height: 4 }, { cropScale: 1, size: 8 });
    const rowIndex = [2, 1, 0, 1, 2, 3, 2, 1]; // rows -2..5 of a 4-row image
    expect(rows(crop)).toEqual(rowIndex.map((y) => Array.from({ length: 8 }, (_, x) => x + 8 * y)));
  });

  it('keeps the three channels apart', () => {
    const colour = patternImage(4, 4, (x, y, c) => [10, 20, 30][c]! + x + y);
    const crop = cropFace(colour, { x: 0, y: 0, width: 4, height: 4 }, { cropScale: 1, size: 4 });
    expect(Array.from(crop.data.subarray(0, 6))).toEqual([10, 20, 30, 11, 21, 31]);
  });
});

describe('cropFace resampling matches a hand computation pixel for pixel', () => {
  it('averages whole 2x2 blocks when halving', () => {
    const image = grey(4, 4, (x, y) => 10 * (x + 4 * y));
    const crop = cropSquare(image, { x: 0, y: 0, side: 4 }, 2);
    // block means: (0+10+40+50)/4 = 25, (20+30+60+70)/4 = 45, (80+90+120+130)/4 = 105, (100+110+140+150)/4 = 125
    expect(rows(crop)).toEqual([
      [25, 45],
      [105, 125],
    ]);
  });

  it('weights partly covered pixels by coverage (3 -> 2)', () => {
    const image = grey(3, 3, (x) => [0, 30, 90][x]!);
    const crop = cropSquare(image, { x: 0, y: 0, side: 3 }, 2);
    // out0 covers [0, 1.5): 2/3 * 0 + 1/3 * 30 = 10; out1 covers [1.5, 3): 1/3 * 30 + 2/3 * 90 = 70
    expect(rows(crop)).toEqual([
      [10, 70],
      [10, 70],
    ]);
  });

  it('interpolates bilinearly when enlarging (2 -> 4)', () => {
    const image = grey(2, 2, (x) => [0, 100][x]!);
    const crop = cropSquare(image, { x: 0, y: 0, side: 2 }, 4);
    // sample positions (o + 0.5) / 2 - 0.5 = -0.25 (clamped 0), 0.25, 0.75, 1.25 (clamped 1)
    expect(rows(crop)[0]).toEqual([0, 25, 75, 100]);
  });

  it('gives the same pixels for the same box every time (training = inference)', () => {
    const image = patternImage(64, 48, (x, y, c) => (x * 7 + y * 13 + c * 29) % 256);
    const box = { x: 20.4, y: 5.2, width: 30.3, height: 33.1 };
    const a = cropFace(image, box, { cropScale: 1.5, size: 32 });
    const b = cropFace(image, box, { cropScale: 1.5, size: 32 });
    expect(Buffer.from(a.data).equals(Buffer.from(b.data))).toBe(true);
    expect(a.width).toBe(32);
    expect(a.height).toBe(32);
  });
});

describe('cropFace refusals', () => {
  const image = grey(4, 4, () => 0);
  const refused = (run: () => unknown, message: RegExp) => {
    expect(run).toThrow(AntispoofError);
    expect(run).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', message: expect.stringMatching(message) }));
  };
  it('throws INVALID_INPUT naming the bad argument: box, cropScale, size or image', () => {
    const box = { x: 0, y: 0, width: 2, height: 2 };
    refused(() => cropFace(image, { ...box, width: -1 }, { cropScale: 1.5, size: 4 }), /face box/);
    refused(() => cropFace(image, box, { cropScale: Number.NaN, size: 4 }), /cropScale/);
    refused(() => cropFace(image, box, { cropScale: 1.5, size: 2.5 }), /crop size/);
    refused(() => cropSquare(image, { x: 0, y: 0, side: 2 }, 0), /crop size/);
    refused(() => cropFace({ ...image, data: image.data.subarray(1) }, box, { cropScale: 1.5, size: 4 }), /image data/);
    refused(() => cropFace({ ...image, width: 0 }, box, { cropScale: 1.5, size: 4 }), /image size/);
  });
});

describe("crop mode shift (Silent-Face's window: kept inside the image, no padding)", () => {
  // Silent-Face's CropImage._get_new_box, for a 100x80 image: the expected windows were worked out by hand from
  // their arithmetic (scale lowered to fit, window slid back inside, corners truncated, both inclusive).
  it('scales the box about its centre when the window fits', () => {
    expect(shiftedWindow({ x: 40, y: 30, width: 20, height: 20 }, 2, 100, 80)).toEqual({
      x: 30,
      y: 20,
      width: 41,
      height: 41,
    });
  });
  it('slides a window that crosses an edge back inside', () => {
    // centre (10, 10), 40x40 window -> [-10, 30] slid to [0, 40].
    expect(shiftedWindow({ x: 0, y: 0, width: 20, height: 20 }, 2, 100, 80)).toEqual({
      x: 0,
      y: 0,
      width: 41,
      height: 41,
    });
    // centre (95, 75): [75, 115] x [55, 95] slid to [59, 99] x [39, 79].
    expect(shiftedWindow({ x: 85, y: 65, width: 20, height: 20 }, 2, 100, 80)).toEqual({
      x: 59,
      y: 39,
      width: 41,
      height: 41,
    });
  });
  it('lowers the scale until the window fits, per axis separately', () => {
    // scale min(79/40, 99/30, 2.7) = 1.975: 59.25 x 79 high, slid to rows [0, 79].
    const region = shiftedWindow({ x: 30, y: 20, width: 30, height: 40 }, 2.7, 100, 80);
    expect(region).toEqual({ x: 15, y: 0, width: 60, height: 80 });
    expect(region.x + region.width).toBeLessThanOrEqual(100);
  });
  it('crops exactly the window pixels (no reflection) when the window equals the output size', () => {
    const image = grey(10, 10, (x, y) => x + 10 * y);
    // box 2x2 at (0, 0), scale 2 -> window [-1, 3] slid to [0, 4]: 5x5 pixels from the corner.
    const crop = cropFace(image, { x: 0, y: 0, width: 2, height: 2 }, { cropScale: 2, size: 5, mode: 'shift' });
    expect(rows(crop)).toEqual(Array.from({ length: 5 }, (_, y) => Array.from({ length: 5 }, (_, x) => x + 10 * y)));
  });
  it('stretches a non-square window to the square output (no aspect kept)', () => {
    const image = grey(40, 20, (x) => (x < 20 ? 0 : 200));
    const crop = cropFace(image, { x: 10, y: 5, width: 20, height: 10 }, { cropScale: 1, size: 4, mode: 'shift' });
    // Window 21 x 11 pixels: the left half dark, the right half bright, in every row.
    expect(rows(crop).every((row) => row[0] === 0 && row[3] === 200)).toBe(true);
  });
  it('refuses an unknown mode', () => {
    const image = grey(10, 10, () => 1);
    expect(() =>
      cropFace(image, { x: 2, y: 2, width: 4, height: 4 }, { cropScale: 1.5, size: 8, mode: 'mirror' as never }),
    ).toThrow(/crop mode/);
  });
});

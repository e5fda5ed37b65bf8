import { intersectionOverUnion, type Corners } from '../detect/nms.js';
import type { Box } from '../types.js';

const corners = (box: Box): Corners => ({
  xMin: box.x,
  yMin: box.y,
  xMax: box.x + box.width,
  yMax: box.y + box.height,
});

export interface Track<T> {
  id: number;
  box: Box;
  lastSeenMs: number;
  state: T;
}

/**
 * Greedy IoU matching of this frame's faces to existing tracks (best overlap first). A face that matches no track
 * starts a new one; a track unseen for longer than maxGapMs is dropped, so a new person never inherits the
 * evidence gathered on the previous one.
 */
export class FaceTracker<T> {
  private tracks: Track<T>[] = [];
  private nextId = 1;

  constructor(
    private readonly createState: () => T,
    private readonly minIou = 0.3,
    private readonly maxGapMs = 1000,
  ) {}

  update(boxes: readonly Box[], timestampMs: number): Track<T>[] {
    this.tracks = this.tracks.filter((track) => timestampMs - track.lastSeenMs <= this.maxGapMs);
    const pairs: Array<{ face: number; track: Track<T>; iou: number }> = [];
    boxes.forEach((box, face) => {
      for (const track of this.tracks) {
        const iou = intersectionOverUnion(corners(box), corners(track.box));
        if (iou >= this.minIou) pairs.push({ face, track, iou });
      }
    });
    pairs.sort((a, b) => b.iou - a.iou);
    const assigned = new Array<Track<T> | undefined>(boxes.length);
    const used = new Set<Track<T>>();
    for (const { face, track } of pairs) {
      if (assigned[face] || used.has(track)) continue;
      assigned[face] = track;
      used.add(track);
    }
    return boxes.map((box, face) => {
      let track = assigned[face];
      if (!track) {
        track = { id: this.nextId++, box, lastSeenMs: timestampMs, state: this.createState() };
        this.tracks.push(track);
      }
      track.box = box;
      track.lastSeenMs = timestampMs;
      return track;
    });
  }
}

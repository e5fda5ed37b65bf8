import type { StreamUpdate, TrackedFace, Verdict } from 'antispoof/web';

export const VERDICT_COLOURS: Record<Verdict, string> = { live: '#1db954', spoof: '#e5383b', retry: '#f4a261' };

export function percent(p: number | null): string {
  return p === null ? '–' : `${(p * 100).toFixed(1)}%`;
}

function label(face: TrackedFace): string {
  return `${face.decision} · P(live) ${percent(face.score)} · fused ${percent(face.fusedScore)} · ${face.goodFrames} good`;
}

/** Boxes coloured by each face's fused decision, with per-frame and fused P(live), over the video. */
export function drawOverlay(canvas: HTMLCanvasElement, update: StreamUpdate): void {
  if (canvas.width !== update.width || canvas.height !== update.height) {
    canvas.width = update.width;
    canvas.height = update.height;
  }
  const context = canvas.getContext('2d')!;
  context.clearRect(0, 0, canvas.width, canvas.height);
  const fontSize = Math.max(12, Math.round(update.width / 45));
  context.font = `600 ${fontSize}px system-ui, sans-serif`;
  context.textBaseline = 'bottom';
  for (const face of update.faces) {
    const colour = VERDICT_COLOURS[face.decision];
    const { x, y, width, height } = face.box;
    context.lineWidth = Math.max(2, update.width / 240);
    context.strokeStyle = colour;
    context.strokeRect(x, y, width, height);
    context.fillStyle = colour;
    for (const p of face.keypoints) context.fillRect(p.x - 2, p.y - 2, 4, 4);
    const text = label(face);
    const textWidth = context.measureText(text).width + 8;
    const textY = y > fontSize + 8 ? y : y + height + fontSize + 8;
    context.fillRect(x - context.lineWidth / 2, textY - fontSize - 6, textWidth, fontSize + 6);
    context.fillStyle = '#111';
    context.fillText(text, x + 4 - context.lineWidth / 2, textY - 3);
  }
}

// Stand-in for node:fs in the page. src/detect/detector.ts probes for its bundled model at import time; in the
// page no file exists, so that probe quietly finds nothing (the page fetches models over HTTP instead).
export function existsSync(_path: unknown): boolean {
  return false;
}

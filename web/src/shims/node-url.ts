// Stand-in for node:url in the page. src/detect/detector.ts turns its default model location into a path at import
// time; the value is never used in the page, so the URL's path is as good as any.
export function fileURLToPath(url: string | URL): string {
  return new URL(url).pathname;
}

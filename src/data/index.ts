// `antispoof/data`: corpus manifests, the dataset adapters behind `antispoof manifest`, and `prepare` (the
// product's detection and crop, written out for training).
export { readManifest, parseManifest, type Framing, type Label, type ManifestEntry } from './manifest.js';
export * from './adapters/index.js';
export { FRAMINGS } from './adapters/folders.js';
export {
  prepareDataset,
  CONTEXT_FACTOR,
  type PrepareOptions,
  type PreparedRow,
  type PrepareSummary,
} from './prepare.js';
export { faceOfEntry } from './entry-face.js';
export { writeFileAtomic } from './atomic.js';

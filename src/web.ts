// The browser entry, `antispoof/web`: the checker over video frames, canvases and ImageData, with onnxruntime-web.
// Nothing here imports Node: the same detect -> crop -> classify -> decide code as `antispoof`, other I/O.
export * from './core.js';
export {
  createLivenessChecker,
  livenessCheckerFromParts,
  type WebLivenessChecker,
  type WebLivenessCheckerOptions,
} from './web-check.js';
export { FrameReader, rgbaToRgb, type FrameInput } from './image/frame.js';
export {
  configureRuntime,
  createWebSession,
  ort,
  type WebRuntimeInfo,
  type WebRuntimeOptions,
} from './runtime/web-session.js';
export {
  DEFAULT_CARD_FILES,
  DETECTOR_FILE,
  fetchModelCard,
  findDefaultCard,
  loadClassifier,
  loadDetector,
} from './runtime/web-models.js';

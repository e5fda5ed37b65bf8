export { faceDetectorFromSession, type FaceDetector, type FaceDetectorFromSessionOptions } from './detector.js';
export {
  generateSsdAnchors,
  SHORT_RANGE_ANCHOR_OPTIONS,
  SHORT_RANGE_ANCHORS,
  type Anchor,
  type SsdAnchorOptions,
} from './anchors.js';
export {
  decodeDetections,
  sigmoidScore,
  SHORT_RANGE_DECODE_OPTIONS,
  type DecodeOptions,
  type RawDetection,
} from './decode.js';
export { intersectionOverUnion, weightedNonMaxSuppression } from './nms.js';
export {
  boxToOriginal,
  letterbox,
  letterboxTransform,
  pointToModel,
  pointToOriginal,
  type Letterboxed,
  type LetterboxTransform,
} from './letterbox.js';

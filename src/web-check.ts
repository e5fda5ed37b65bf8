import {
  checkerFromLoadingParts,
  checkerFromParts,
  type CheckerCore,
  type CheckerPartsOptions,
} from './checker-parts.js';
import type { Classifier } from './classify/classifier.js';
import type { FaceDetector } from './detect/detector.js';
import { FrameReader, type FrameInput } from './image/frame.js';
import type { CheckOptions, CheckResult, PipelineOptions } from './pipeline.js';
import {
  DEFAULT_CARD_FILES,
  DETECTOR_FILE,
  findDefaultCard,
  loadClassifier,
  loadDetector,
} from './runtime/web-models.js';
import { configureRuntime, pageUrl, type WebRuntimeInfo, type WebRuntimeOptions } from './runtime/web-session.js';
import { AntispoofError } from './errors.js';
import { PRESET_CARD_FILES } from './classify/ensemble.js';

export interface WebLivenessCheckerOptions extends PipelineOptions {
  /** Folder (URL) holding the detector and the classifier cards and models; default `models/` of the page. */
  models?: string | URL;
  /** The classifier's model card (its "file" is relative to it); default the first shipped card in `models`. */
  card?: string | URL;
  /** A preset instead of `card`: 'accurate' (an ensemble card, when the package ships it) in `models`. */
  model?: string;
  /** Default `face_detection_short_range.onnx` in `models`. */
  detectorModel?: string | URL;
  /** Detector confidence below which a face is ignored. */
  minDetectionScore?: number;
  /** Fused P(live) at or above which a LivenessSession decides live; default as the Node checker's. */
  streamThreshold?: number;
  /** onnxruntime-web settings: threads, where its wasm files are, and whether it runs in its own Web Worker. */
  runtime?: WebRuntimeOptions;
}

/** The browser's LivenessChecker: the same pipeline as Node's, on frames a canvas can draw. */
export interface WebLivenessChecker extends CheckerCore {
  /** How onnxruntime-web was set up; null when the checker was built from parts. */
  readonly runtime: WebRuntimeInfo | null;
  check(input: FrameInput, options?: CheckOptions): Promise<CheckResult>;
}

/** A checker over a detector and classifier already made (any runtime): what createLivenessChecker builds on. */
export function livenessCheckerFromParts(
  detector: FaceDetector,
  classifier: Classifier,
  options: CheckerPartsOptions = {},
  runtime: WebRuntimeInfo | null = null,
): WebLivenessChecker {
  return withFrames(checkerFromParts(detector, classifier, options), runtime);
}

function withFrames(core: CheckerCore, runtime: WebRuntimeInfo | null): WebLivenessChecker {
  const frames = new FrameReader();
  return {
    ...core,
    runtime,
    async check(input, checkOptions) {
      return core.checkImage(frames.read(input), checkOptions);
    },
  };
}

/**
 * Loads the detector and a classifier over onnxruntime-web (wasm) from the page's server and returns a checker.
 * The models, cards and onnxruntime-web's wasm files must be served by the page (README, "Browser").
 */
export async function createLivenessChecker(options: WebLivenessCheckerOptions = {}): Promise<WebLivenessChecker> {
  const runtime = configureRuntime(options.runtime);
  const models = new URL(options.models ?? 'models/', pageUrl());
  if (options.model !== undefined && !Object.hasOwn(PRESET_CARD_FILES, options.model))
    throw new AntispoofError(
      'INVALID_INPUT',
      `model must be a preset (${Object.keys(PRESET_CARD_FILES).join(', ')}); name a card with options.card`,
    );
  const cardUrl = options.card
    ? new URL(options.card, pageUrl())
    : options.model !== undefined
      ? new URL(PRESET_CARD_FILES[options.model]!, models)
      : await findDefaultCard(models);
  if (!cardUrl)
    throw new AntispoofError(
      'MODEL_NOT_FOUND',
      `no classifier card in ${models.href} (looked for ${DEFAULT_CARD_FILES.join(', ')}); pass options.card`,
    );
  const core = await checkerFromLoadingParts(
    loadDetector(new URL(options.detectorModel ?? DETECTOR_FILE, models), { minScore: options.minDetectionScore }),
    loadClassifier(cardUrl),
    options,
  );
  return withFrames(core, runtime);
}

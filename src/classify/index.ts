export { createClassifier, classifierFromSession, type Classifier, type ClassifierOptions } from './classifier.js';
export {
  readModelCard,
  validateModelCard,
  cardPathFor,
  streamThresholdFor,
  type ModelCard,
  type StreamThreshold,
} from './card.js';
export { resolveModel, defaultModelFile, packageModelsDir, type ResolvedModel } from './model-files.js';

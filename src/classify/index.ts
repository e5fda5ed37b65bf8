export { acceptsBatches, classifierFromSession, type Classifier } from './classifier.js';
export {
  validateModelCard,
  cardPathFor,
  streamThresholdFor,
  viewScales,
  type ModelCard,
  type StreamThreshold,
} from './card.js';
export { scoreFaces } from './score-faces.js';

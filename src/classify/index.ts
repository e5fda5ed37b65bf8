export { acceptsBatches, classifierFromSession, type Classifier } from './classifier.js';
export { validateModelCard, cardPathFor, streamThresholdFor, type ModelCard, type StreamThreshold } from './card.js';

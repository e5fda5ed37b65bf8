export { acceptsBatches, classifierFromSession, type Classifier } from './classifier.js';
export {
  validateCard,
  validateModelCard,
  cardPathFor,
  singleCard,
  streamThresholdFor,
  viewScales,
  type ClassifierCard,
  type ModelCard,
  type StreamThreshold,
} from './card.js';
export {
  checkNoCycle,
  ensembleFromMembers,
  fuseMemberScores,
  isEnsembleCard,
  memberWeights,
  PRESET_CARD_FILES,
  validateEnsembleCard,
  type EnsembleCard,
} from './ensemble.js';
export { scoreFaces, scoreFacesWithMembers, type FaceScores } from './score-faces.js';

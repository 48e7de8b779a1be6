export { validateLinearModel, type LinearModel } from './linear-model';
export { fitStandardization, standardize, type Standardization } from './standardization';
export { sigmoid, logOdds, scoreProbability } from './probability';
export { rocAuc, logLoss } from './metrics';
export { splitBySession, sessionBucket } from './session-split';
export {
  collectFeatureNames,
  designMatrix,
  extractLinearWeights,
  trainLogisticRegression,
  type LabelledSample,
  type TrainOptions,
  type TrainedLinearModel,
} from './logistic-regression';
export { LatestModels, type Versioned } from './latest-models';

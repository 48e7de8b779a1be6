export { validateLinearModel, type LinearModel } from './linear-model';
export {
  CANDIDATE_INPUTS,
  DERIVED_INPUTS,
  FEATURE_TRANSFORM,
  KNOWN_FEATURE_TRANSFORMS,
  RAW_FEATURE_TRANSFORM,
  TIME_FEATURE_MIN_SPAN_DAYS,
  compileInputs,
  modelInputs,
  type FeatureSource,
} from './model-inputs';
export { fitMatrixStandardization, standardizeMatrix, type Standardization } from './standardization';
export { compileExplainer, explainPrediction, EXPLANATION_TOP, type Contribution, type Explanation } from './explanation';
export { sigmoid, compileModel, logOdds, scoreProbability, scoreInputMatrix, type CompiledModel } from './probability';
export { rocAuc, logLoss, expectedCalibrationError, calibrationByDecile, type CalibrationBucket } from './metrics';
export { sessionBucket } from './session-split';
export { fitLogisticNewton, type NewtonFit, type NewtonOptions } from './logistic-newton';
export { fitLogisticReference, type ReferenceFitOptions } from './logistic-regression';
export { TrainingSetBuilder, trainingSetOf, inputMatrix, type TrainingSet, type TrainingRowInput } from './training-set';
export { trainingSetCsvLines, trainingSetFromCsv } from './training-set-csv';
export {
  chooseInputs,
  evaluate,
  fitOnRows,
  labelsOf,
  scoreRows,
  spanMs,
  splitTrainingSet,
  trainModel,
  type Evaluation,
  type FitOptions,
  type FittedModel,
  type InputChoice,
  type SplitOptions,
  type TimeFeaturePolicy,
  type TrainOptions,
  type TrainOutcome,
  type TrainingSplit,
} from './training';
export { LatestModels, type Versioned } from './latest-models';

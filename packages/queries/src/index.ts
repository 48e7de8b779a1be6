export { Analytics, QueryInputError, num, type AnalyticsOptions, type ActiveResult, type CalibrationResult, type FunnelGroup, type FunnelResult, type PersonResult, type PredictionAnswer, type RetentionResult, type ScoreAnswer, type TopResult } from './analytics';
export { activeQuery, calibrationQuery, funnelQuery, retentionQuery, topQuery, type Query } from './analytics.queries';
export {
  activeParams,
  calibrationParams,
  firstIssue,
  funnelParams,
  parseStep,
  parseTime,
  personParams,
  retentionParams,
  scoreInput,
  topParams,
  FUNNEL_DIMENSIONS,
  TOP_SUBJECTS,
  type ActiveParams,
  type CalibrationParams,
  type FunnelParams,
  type PersonParams,
  type RetentionParams,
  type ScoreInput,
  type TopParams,
} from './query-params';

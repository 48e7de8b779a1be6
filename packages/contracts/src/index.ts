export * from './generated/types';
export { createAvroCodec, AvroCodecError, parsingCanonicalForm, type AvroCodec } from './avro-codec';
export { rabinFingerprint, frame, unframe, SINGLE_OBJECT_HEADER_LENGTH } from './single-object';
export { SCHEMAS_DIR, listSchemaFiles } from './schema-files';
export { TOPIC_DEFAULTS, topicsFor, userKeyOf, type Topic, type Topics, type TopicId } from './topics';
export { DEVICE_FEATURE_NAMES, LANDING_FEATURE_NAMES, SESSION_FEATURE_NAMES, TIME_FEATURE_NAMES, type SessionFeatureName } from './session-features';
export {
  PREDICTION_EXPLANATION_HEADER,
  decodeExplanationHeader,
  encodeExplanationHeader,
  type ExplanationInput,
  type PredictionExplanation,
} from './prediction-explanation';

export * from './generated/types';
export { createAvroCodec, AvroCodecError, type AvroCodec } from './avro-codec';
export { rabinFingerprint, frame, unframe, SINGLE_OBJECT_HEADER_LENGTH } from './single-object';
export { SCHEMAS_DIR, listSchemaFiles, readSchemaFile } from './schema-files';
export { TOPIC_DEFAULTS, topicsFor, type Topic, type Topics, type TopicId } from './topics';

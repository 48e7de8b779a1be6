import { createAvroCodec, type AvroCodec } from './avro-codec';
import type { CleanEvent, DeadLetter, EnricherStateEntry, FeatureVector, IdentityLink, Model, Prediction, RawEvent } from './generated/types';

// Every topic the pipeline uses, defined once with its value schema. Keys are UTF-8 user keys
// (userId, else anonymousId) so one user's events stay ordered on one partition; models are keyed by model name.
export const TOPIC_DEFAULTS = {
  rawEvents: { name: 'events.raw', schemaFile: 'raw-event.avsc', compacted: false },
  cleanEvents: { name: 'events.clean', schemaFile: 'clean-event.avsc', compacted: false },
  deadLetters: { name: 'events.dlq', schemaFile: 'dead-letter.avsc', compacted: false },
  features: { name: 'features', schemaFile: 'feature-vector.avsc', compacted: false },
  models: { name: 'models', schemaFile: 'model.avsc', compacted: true },
  predictions: { name: 'predictions', schemaFile: 'prediction.avsc', compacted: false },
  identityLinks: { name: 'identities', schemaFile: 'identity-link.avsc', compacted: false },
  // The enricher's changelog: as many partitions as events.raw (the enricher checks), written only in its transactions.
  enricherState: { name: 'enricher.state', schemaFile: 'enricher-state.avsc', compacted: true },
} as const;

export type TopicId = keyof typeof TOPIC_DEFAULTS;

interface TopicValues {
  rawEvents: RawEvent;
  cleanEvents: CleanEvent;
  deadLetters: DeadLetter;
  features: FeatureVector;
  models: Model;
  predictions: Prediction;
  identityLinks: IdentityLink;
  enricherState: EnricherStateEntry;
}

export interface Topic<T> {
  name: string;
  compacted: boolean;
  codec: AvroCodec<T>;
}

export type Topics = { [K in TopicId]: Topic<TopicValues[K]> };

const codecs = new Map<TopicId, AvroCodec<unknown>>();
function codecFor<K extends TopicId>(id: K): AvroCodec<TopicValues[K]> {
  let codec = codecs.get(id);
  if (!codec) {
    codec = createAvroCodec<unknown>(TOPIC_DEFAULTS[id].schemaFile);
    codecs.set(id, codec);
  }
  return codec as AvroCodec<TopicValues[K]>;
}

/**
 * The topic set, with every name prefixed by `prefix` (TOPIC_PREFIX): tests get their own topics this way,
 * and so can several pipelines sharing one cluster.
 */
export function topicsFor(prefix = ''): Topics {
  const build = <K extends TopicId>(id: K): Topic<TopicValues[K]> => ({
    name: `${prefix}${TOPIC_DEFAULTS[id].name}`,
    compacted: TOPIC_DEFAULTS[id].compacted,
    codec: codecFor(id),
  });
  return {
    rawEvents: build('rawEvents'),
    cleanEvents: build('cleanEvents'),
    deadLetters: build('deadLetters'),
    features: build('features'),
    models: build('models'),
    predictions: build('predictions'),
    identityLinks: build('identityLinks'),
    enricherState: build('enricherState'),
  };
}

/** The user key events are keyed and profiled by: userId, else anonymousId (null when an event has neither). */
export function userKeyOf(e: Pick<RawEvent, 'userId' | 'anonymousId'>): string | null {
  return e.userId ?? e.anonymousId;
}

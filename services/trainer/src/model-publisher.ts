import type { Model, Topic } from '@telltale/contracts';
import { followTopic, openFencedWriter, ProducerFencedError, type KafkaClient } from '@telltale/kafka';
import { validateLinearModel, type TrainingSet } from '@telltale/model';
import type { Logger } from '@telltale/runtime';
import type { Candidate } from './model-fitting';
import { decidePromotion, type PromotionDecision, type PromotionRule } from './promotion';

export interface PublisherDeps {
  kafka: KafkaClient;
  topic: Topic<Model>;
  /** One per model name (and topic prefix): every trainer of that model opens its writer under it. */
  transactionalId: string;
  /** Prefix of the consumer groups that read the topic to its end. */
  groupIdPrefix: string;
  logger: Logger;
  /** For tests: runs after the version is chosen and before the commit, the window a concurrent trainer could use. */
  beforeCommit?: (model: Model) => Promise<void>;
}

export type PublishResult = { decision: PromotionDecision } & ({ published: true; model: Model } | { published: false });

/** Fenced again and again means another trainer publishes in a loop with this one: give up this run. */
const MAX_ATTEMPTS = 3;

/** What the models topic says about one name: the highest version on it (valid or not) and the live model. */
export interface PublishedModels {
  latestVersion: number;
  /** The newest model a scorer would use: valid and of a transform this build knows. */
  live: Model | undefined;
}

/** Reads the models topic from the beginning to its end (committed records only). */
export async function readPublishedModels(kafka: KafkaClient, topic: Topic<Model>, name: string, groupIdPrefix: string): Promise<PublishedModels> {
  const seen: Model[] = [];
  const follower = await followTopic(kafka, topic, (model) => {
    if (model.name === name) seen.push(model);
  }, { groupIdPrefix });
  try {
    await follower.caughtUp;
  } finally {
    await follower.stop();
  }
  // A broken record still holds its version number: counting it keeps versions unique.
  const latestVersion = seen.reduce((v, m) => Math.max(v, m.version), 0);
  const live = seen.filter((m) => validateLinearModel(m).length === 0).sort((a, b) => b.version - a.version)[0];
  return { latestVersion, live };
}

/**
 * Promotes and publishes a candidate so that one version never names two models, whoever else trains:
 *
 * 1. open a fenced writer (a Kafka transactional id per model name): any other trainer's writer is fenced off;
 * 2. read the models topic to its end: the latest version and the live model, as committed;
 * 3. decide promotion against that live model; if promoted, commit it as version latest + 1.
 *
 * Another trainer that opens its writer between 1 and 3 fences this one: the commit fails (nothing is published)
 * and the whole sequence runs again, seeing the other trainer's model and deciding against it.
 */
export async function promoteAndPublish(deps: PublisherDeps, candidate: Candidate, set: TrainingSet, rule: PromotionRule): Promise<PublishResult> {
  for (let attempt = 1; ; attempt++) {
    const writer = await openFencedWriter(deps.kafka, deps.topic, deps.transactionalId);
    try {
      const { latestVersion, live } = await readPublishedModels(deps.kafka, deps.topic, candidate.model.name, deps.groupIdPrefix);
      const decision = decidePromotion(candidate, set, live, rule);
      if (!decision.promote) return { published: false, decision };
      const model: Model = { ...candidate.model, version: latestVersion + 1 };
      await deps.beforeCommit?.(model);
      await writer.commit([{ key: model.name, value: model }]);
      return { published: true, model, decision };
    } catch (err) {
      if (!(err instanceof ProducerFencedError) || attempt >= MAX_ATTEMPTS) throw err;
      deps.logger.warn({ model: candidate.model.name, runId: candidate.model.runId, attempt }, 'another trainer published meanwhile; deciding again');
    } finally {
      await writer.close();
    }
  }
}

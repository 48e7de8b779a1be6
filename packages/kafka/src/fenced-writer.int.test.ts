import { topicsFor, type Model } from '@telltale/contracts';
import { openFencedWriter, ProducerFencedError } from './fenced-writer';
import { connectStage } from './kafka-stage';
import { followTopic } from './topic-follower';
import { id, logger } from './kafka.test-helpers';


const model = (version: number): Model => ({
  name: 'm',
  version,
  trainedAt: 0,
  algorithm: 'test',
  runId: `run-${version}`,
  featureTransform: 'raw',
  featureNames: [],
  means: [],
  stds: [],
  weights: [],
  intercept: 0,
  metrics: { auc: 0.5, logLoss: 0.7, ece: null, trainRows: 1, testRows: 1, positiveRate: 0.5, holdout: null },
});

async function readAll(stage: Awaited<ReturnType<typeof connectStage>>): Promise<number[]> {
  const versions: number[] = [];
  const follower = await followTopic(stage.client, stage.topics.models, (m) => versions.push(m.version), { groupIdPrefix: id('reader') });
  // Resolving at all is part of the test: the last offset of a partition is a transaction marker, never a message.
  await follower.caughtUp;
  await follower.stop();
  return versions;
}

describe('openFencedWriter, on a real broker', () => {
  it('fences off an earlier writer with the same transactional id; readers see committed records only', async () => {
    const prefix = `${id('fenced')}.`;
    const stage = await connectStage({ stage: 'test', brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','), topicPrefix: prefix, logger });
    const topic = topicsFor(prefix).models;
    const transactionalId = id('writer');
    try {
      const first = await openFencedWriter(stage.client, topic, transactionalId);
      await first.commit([{ key: 'm', value: model(1) }]);
      await first.close();

      const earlier = await openFencedWriter(stage.client, topic, transactionalId);
      const later = await openFencedWriter(stage.client, topic, transactionalId);
      await expect(earlier.commit([{ key: 'm', value: model(2) }])).rejects.toBeInstanceOf(ProducerFencedError);
      await earlier.close();
      await later.commit([{ key: 'm', value: model(3) }]);
      await later.close();

      // A writer that opens and closes without committing leaves nothing behind.
      const abandoned = await openFencedWriter(stage.client, topic, transactionalId);
      await abandoned.close();
      await abandoned.close();

      expect(await readAll(stage)).toEqual([1, 3]);
    } finally {
      await stage.producer.disconnect();
    }
  });
});

import type { Prediction } from '@telltale/contracts';
import type { PredictionAnswer } from '@telltale/queries';
import { LatestPredictions, type PredictionSource } from './latest-predictions';

const T = Date.UTC(2026, 11, 1);
const prediction = (userKey: string, at: number, probability = 0.5): Prediction => ({
  userKey,
  sessionId: `s-${userKey}`,
  messageId: `m-${userKey}-${at}`,
  modelName: 'purchase_propensity',
  modelVersion: 1,
  probability,
  eventTime: T + at,
  predictedAt: T + at,
  receivedAt: T + at,
});
const explanation = { intercept: -1, logit: 0, top: [{ input: 'has_cart', value: 1, contribution: 1 }] };

/** ClickHouse as the store sees it: who each id is, and the latest prediction stored before the service started. */
function fakeSource(people: Record<string, string[]>, stored: Record<string, Prediction> = {}) {
  const asked: string[] = [];
  const source: PredictionSource = {
    async resolve(id) {
      asked.push(id);
      const [person, keys] = Object.entries(people).find(([, ks]) => ks.includes(id)) ?? [id, [id]];
      return { person, keys };
    },
    async predictionOf(who) {
      const p = who.keys.map((k) => stored[k]).filter((x): x is Prediction => x !== undefined)[0];
      if (!p) return null;
      return { person: who.person, userKey: p.userKey, sessionId: p.sessionId, messageId: p.messageId, modelName: p.modelName, modelVersion: p.modelVersion, probability: p.probability, eventTime: new Date(p.eventTime).toISOString(), predictedAt: new Date(p.predictedAt).toISOString(), explanation: null } satisfies PredictionAnswer;
    },
  };
  return { source, asked };
}

describe('LatestPredictions', () => {
  it('asks ClickHouse once per id, then answers from memory with the newest prediction of any of the person’s keys', async () => {
    const { source, asked } = fakeSource({ fay: ['fay', 'anon-1', 'anon-2'] }, { 'anon-1': prediction('anon-1', 1_000, 0.1) });
    const store = new LatestPredictions(source);
    expect(await store.get('anon-2')).toMatchObject({ person: 'fay', userKey: 'anon-1', probability: 0.1 });
    store.record(prediction('fay', 2_000, 0.7), explanation);
    expect(await store.get('anon-2')).toMatchObject({ person: 'fay', userKey: 'fay', probability: 0.7, explanation });
    expect(asked).toEqual(['anon-2']);
    expect(store.counts).toEqual({ memory: 1, clickhouse: 1 });
  });

  it('keeps the newer prediction whichever source brings it last', async () => {
    const { source } = fakeSource({}, { ann: prediction('ann', 1_000, 0.2) });
    const store = new LatestPredictions(source);
    store.record(prediction('ann', 5_000, 0.9), explanation);
    // ClickHouse's older answer arrives after the topic's newer one.
    expect(await store.get('ann')).toMatchObject({ probability: 0.9 });
    store.record(prediction('ann', 3_000, 0.4), null);
    expect(await store.get('ann')).toMatchObject({ probability: 0.9 });
  });

  it('resolves an id again after a new identity link touches it', async () => {
    const people: Record<string, string[]> = {};
    const { source, asked } = fakeSource(people);
    const store = new LatestPredictions(source);
    store.record(prediction('bob', 1_000, 0.3), null);
    expect(await store.get('anon-9')).toBeNull(); // not linked yet
    people.bob = ['bob', 'anon-9'];
    store.link('anon-9', 'bob');
    expect(await store.get('anon-9')).toMatchObject({ person: 'bob', probability: 0.3 });
    expect(asked).toEqual(['anon-9', 'anon-9']);
  });

  it('bounds the keys it keeps, forgetting the least recently updated and the resolutions through them', async () => {
    const { source, asked } = fakeSource({});
    const store = new LatestPredictions(source, { maxKeys: 10 });
    for (let i = 0; i < 10; i++) store.record(prediction(`u${i}`, 1_000 + i), null);
    expect(await store.get('u0')).toMatchObject({ userKey: 'u0' });
    store.record(prediction('u10', 5_000), null); // over the bound: the oldest tenth (u0) goes
    expect(store.size.keys).toBe(10);
    // u0's resolution went with it, so ClickHouse is asked again (and has nothing for it here).
    expect(await store.get('u0')).toBeNull();
    expect(asked).toEqual(['u0', 'u0']);
  });

  it('asks ClickHouse once for concurrent first requests of the same id', async () => {
    const { source, asked } = fakeSource({}, { cy: prediction('cy', 1_000) });
    const store = new LatestPredictions(source);
    const answers = await Promise.all([store.get('cy'), store.get('cy'), store.get('cy')]);
    expect(answers.map((a) => a?.userKey)).toEqual(['cy', 'cy', 'cy']);
    expect(asked).toEqual(['cy']);
  });
});

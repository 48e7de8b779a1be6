import type { Prediction, PredictionExplanation } from '@telltale/contracts';
import type { PredictionAnswer } from '@telltale/queries';

/** What the store needs from ClickHouse for an id it has not seen: @telltale/queries' Analytics. */
export interface PredictionSource {
  resolve(id: string): Promise<{ person: string; keys: string[] }>;
  predictionOf(who: { person: string; keys: string[] }): Promise<PredictionAnswer | null>;
}

interface Entry {
  answer: Omit<PredictionAnswer, 'person'>;
  predictedMs: number;
}

export interface LatestPredictionsOptions {
  /** Most user keys whose latest prediction is kept. @default 200000 */
  maxKeys?: number;
  /** Most ids whose resolution (person and keys) is kept. @default 200000 */
  maxIds?: number;
}

/**
 * The latest prediction of every user key, in memory: what GET /v1/users/{id}/prediction answers from.
 *
 * NOTE: why memory and not ClickHouse. The embedded ClickHouse runs one statement at a time for every service (the
 * sink's inserts, the trainer, the live view), so a read waits behind whatever is queued: 50 requests/s already took
 * seconds (bench/results/prediction-api.md). Here, the service follows the predictions topic from its start (the
 * explanation in each record's header) and the identities topic (new links), and asks ClickHouse only the first time
 * an id is asked for: who the id is (identities) and the latest prediction made before the service started. After
 * that, an id's answer is the newest of its keys' entries, kept current by the topic.
 *
 * TRICKY: the two sources race (a prediction can arrive from the topic while ClickHouse is asked): an entry is only
 * ever replaced by a newer prediction (predictedAt), whichever source brings it. A new identity link forgets the
 * resolution of every id whose person it changes; an entry forgotten for room forgets the ids resolved through its key,
 * so no id is answered from a resolution whose entries are gone.
 */
export class LatestPredictions {
  private readonly byKey = new Map<string, Entry>();
  private readonly byId = new Map<string, { person: string; keys: string[] }>();
  /** user key → ids whose resolution includes it. */
  private readonly idsByKey = new Map<string, Set<string>>();
  private readonly loading = new Map<string, Promise<{ person: string; keys: string[] }>>();
  private readonly maxKeys: number;
  private readonly maxIds: number;
  readonly counts = { memory: 0, clickhouse: 0 };

  constructor(
    private readonly source: PredictionSource,
    opts: LatestPredictionsOptions = {},
  ) {
    this.maxKeys = opts.maxKeys ?? 200_000;
    this.maxIds = opts.maxIds ?? 200_000;
  }

  get size(): { keys: number; ids: number } {
    return { keys: this.byKey.size, ids: this.byId.size };
  }

  /** A prediction from the topic (or ClickHouse): kept when newer than its key's. */
  record(p: Prediction, explanation: PredictionExplanation | null): void {
    this.put(p.userKey, {
      predictedMs: p.predictedAt,
      answer: {
        userKey: p.userKey,
        sessionId: p.sessionId,
        messageId: p.messageId,
        modelName: p.modelName,
        modelVersion: p.modelVersion,
        probability: p.probability,
        eventTime: new Date(p.eventTime).toISOString(),
        predictedAt: new Date(p.predictedAt).toISOString(),
        explanation,
      },
    });
  }

  /** A new identity link: every id resolved through either side is resolved again when next asked. */
  link(anonymousId: string, userId: string): void {
    for (const key of [anonymousId, userId]) this.forgetIdsThrough(key);
  }

  /** The latest prediction of a userId or anonymousId, with its explanation; null when there is none. */
  async get(id: string): Promise<PredictionAnswer | null> {
    let who = this.byId.get(id);
    if (who) {
      this.counts.memory++;
    } else {
      this.counts.clickhouse++;
      who = await this.load(id);
    }
    let latest: Entry | undefined;
    for (const key of who.keys) {
      const entry = this.byKey.get(key);
      if (entry && (!latest || entry.predictedMs > latest.predictedMs)) latest = entry;
    }
    return latest ? { person: who.person, ...latest.answer } : null;
  }

  private load(id: string): Promise<{ person: string; keys: string[] }> {
    const pending = this.loading.get(id);
    if (pending) return pending;
    const loading: Promise<{ person: string; keys: string[] }> = this.ask(id, () => this.loading.get(id) === loading).finally(() => {
      if (this.loading.get(id) === loading) this.loading.delete(id);
    });
    this.loading.set(id, loading);
    return loading;
  }

  /** ClickHouse's answer for an id; remembered unless `stillCurrent` says a link touched the id meanwhile. */
  private async ask(id: string, stillCurrent: () => boolean): Promise<{ person: string; keys: string[] }> {
    const who = await this.source.resolve(id);
    const answer = await this.source.predictionOf(who);
    if (answer) {
      const { person: _person, ...rest } = answer;
      this.put(answer.userKey, { answer: rest, predictedMs: Date.parse(answer.predictedAt) });
    }
    // TRICKY: a link that arrived while ClickHouse was asked may have changed who this is: keep only a resolution no
    // link touched meanwhile (the next request asks again).
    if (stillCurrent()) this.remember(id, who);
    return who;
  }

  private remember(id: string, who: { person: string; keys: string[] }): void {
    if (this.byId.size >= this.maxIds) this.forgetOldestIds(Math.ceil(this.maxIds / 10));
    this.byId.set(id, who);
    for (const key of who.keys) {
      let ids = this.idsByKey.get(key);
      if (!ids) this.idsByKey.set(key, (ids = new Set()));
      ids.add(id);
    }
  }

  private put(key: string, entry: Entry): void {
    const current = this.byKey.get(key);
    if (current && current.predictedMs >= entry.predictedMs) return;
    if (!current && this.byKey.size >= this.maxKeys) this.forgetOldestKeys(Math.ceil(this.maxKeys / 10));
    // Re-inserted: the Map's order is then the order of last update, oldest first.
    this.byKey.delete(key);
    this.byKey.set(key, entry);
  }

  private forgetIdsThrough(key: string): void {
    const ids = this.idsByKey.get(key);
    if (!ids) return;
    for (const id of ids) {
      this.byId.delete(id);
      this.loading.delete(id);
    }
    this.idsByKey.delete(key);
  }

  /** Drops the `n` least recently updated keys, and the resolutions through them. NOTE: in bulk, a tenth at a time. */
  private forgetOldestKeys(n: number): void {
    const oldest: string[] = [];
    for (const key of this.byKey.keys()) {
      if (oldest.length >= n) break;
      oldest.push(key);
    }
    for (const key of oldest) {
      this.byKey.delete(key);
      this.forgetIdsThrough(key);
    }
  }

  private forgetOldestIds(n: number): void {
    const oldest: string[] = [];
    for (const id of this.byId.keys()) {
      if (oldest.length >= n) break;
      oldest.push(id);
    }
    for (const id of oldest) {
      for (const key of this.byId.get(id)?.keys ?? []) this.idsByKey.get(key)?.delete(id);
      this.byId.delete(id);
    }
  }
}

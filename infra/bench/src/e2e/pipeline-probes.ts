import type { ClickHouseClient } from '@telltale/clickhouse';
import type { Prediction, Topic } from '@telltale/contracts';
import { followTopic, type KafkaClient, type TopicFollower } from '@telltale/kafka';
import { LatencyHistogram } from './latency-histogram';

/** One marker's way through the pipeline, from the events table's point of view. */
interface MarkerArrival {
  /** The collector's receipt (events.received_at), ms. */
  receivedAt: number;
  /** Start of the first poll that returned the row: it was queryable then, and not at the poll before. */
  queryableAt: number;
}

/**
 * Event → queryable: polls ClickHouse every `intervalMs` for markers not seen yet. A marker's latency is the start of
 * the first poll that returned it minus its received_at. Resolution: a row that became visible just after a poll
 * started is counted at the next one, so a latency is overstated by up to one interval (plus a slow poll's time).
 */
export class QueryableProbe {
  /** messageId → when the load driver generated it (a lower bound of received_at, for the poll's time filter), and its user. */
  private readonly pending = new Map<string, { sentAt: number; user: string }>();
  private readonly arrivals: MarkerArrival[] = [];
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  pollCount = 0;
  pollMsTotal = 0;
  lastError: string | undefined;

  constructor(
    private readonly client: ClickHouseClient,
    private readonly intervalMs = 200,
  ) {}

  expect(messageId: string, sentAtMs: number, user: string): void {
    this.pending.set(messageId, { sentAt: sentAtMs, user });
  }

  start(): this {
    this.timer ??= setInterval(() => {
      this.polling ??= this.pollOnce().finally(() => (this.polling = undefined));
    }, this.intervalMs);
    return this;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.polling;
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  /** Markers received by the collector within [fromMs, toMs). */
  window(fromMs: number, toMs: number): { histogram: LatencyHistogram; stillPending: number } {
    const histogram = new LatencyHistogram();
    for (const a of this.arrivals) if (a.receivedAt >= fromMs && a.receivedAt < toMs) histogram.record(a.queryableAt - a.receivedAt);
    let stillPending = 0;
    for (const { sentAt } of this.pending.values()) if (sentAt >= fromMs - 5_000 && sentAt < toMs) stillPending += 1;
    return { histogram, stillPending };
  }

  private async pollOnce(): Promise<void> {
    if (this.pending.size === 0) return;
    const startedAt = Date.now();
    // Per marker user, its oldest pending marker: a user's events reach the table in order (one partition, one
    // enricher), so everything of that user before it was seen already. One time bound for all users would make every
    // poll return again the markers of users on partitions that are ahead, while one partition lags.
    const sinceByUser = new Map<string, number>();
    for (const { sentAt, user } of this.pending.values()) sinceByUser.set(user, Math.min(sinceByUser.get(user) ?? Infinity, sentAt));
    const users = [...sinceByUser.keys()];
    try {
      const result = await this.client.query({
        query: `SELECT message_id, toUnixTimestamp64Milli(received_at) AS received_ms FROM events
                WHERE user_key IN {users:Array(String)}
                  AND toUnixTimestamp64Milli(received_at) >= arrayElement({since:Array(Int64)}, indexOf({users:Array(String)}, user_key))`,
        // received_at ≥ generation time less a second: same machine, but a batch may wait for a connection.
        query_params: { users, since: users.map((u) => Math.floor(sinceByUser.get(u)!) - 1_000) },
        format: 'JSONEachRow',
      });
      const rows = await result.json<{ message_id: string; received_ms: string | number }>();
      for (const row of rows) {
        if (!this.pending.delete(row.message_id)) continue;
        this.arrivals.push({ receivedAt: Number(row.received_ms), queryableAt: startedAt });
      }
      this.lastError = undefined;
    } catch (err) {
      this.lastError = (err as Error).message;
    } finally {
      this.pollCount += 1;
      this.pollMsTotal += Date.now() - startedAt;
    }
  }
}

export interface PredictionWindow {
  fromMs: number;
  toMs: number;
  /** Collector receipt → this consumer got the prediction from the predictions topic. */
  consumed: LatencyHistogram;
  /** Collector receipt → the scorer's predictedAt (the scorer's clock, same machine). */
  scored: LatencyHistogram;
}

/**
 * Event → prediction: follows the predictions topic; each prediction of this run (its messageId starts with
 * `idPrefix`) is timed from its receivedAt (the collector's receipt, carried through the enricher and the scorer)
 * to the moment this consumer got it. Predictions are assigned to windows by their receivedAt.
 * NOTE: where a subscriber sees it: followTopic's consumer reads read_committed (kafkajs's default isolation level),
 * so a prediction counts once the scorer's transaction committed, and the clock is read in the record's own
 * callback, not after a batch.
 */
export class PredictionProbe {
  private readonly windows: PredictionWindow[] = [];
  private follower: TopicFollower | undefined;
  /** Predictions of this run without a receivedAt (written by a scorer that does not carry it). */
  withoutReceivedAt = 0;
  seen = 0;

  constructor(private readonly idPrefix: string) {}

  async start(kafka: KafkaClient, topic: Topic<Prediction>): Promise<void> {
    this.follower = await followTopic(kafka, topic, (p) => this.onPrediction(p), { groupIdPrefix: 'bench-e2e-predictions' });
    await this.follower.caughtUp;
  }

  /** Starts collecting predictions of events received within [fromMs, toMs); toMs may be set later. */
  openWindow(fromMs: number, toMs: number): PredictionWindow {
    const w: PredictionWindow = { fromMs, toMs, consumed: new LatencyHistogram(), scored: new LatencyHistogram() };
    this.windows.push(w);
    return w;
  }

  async stop(): Promise<void> {
    await this.follower?.stop();
  }

  private onPrediction(p: Prediction): void {
    if (!p.messageId.startsWith(this.idPrefix)) return;
    this.seen += 1;
    const receivedAt = (p as Prediction & { receivedAt?: number }).receivedAt ?? 0;
    if (receivedAt <= 0) {
      this.withoutReceivedAt += 1;
      return;
    }
    const now = Date.now();
    for (const w of this.windows) {
      if (receivedAt < w.fromMs || receivedAt >= w.toMs) continue;
      w.consumed.record(now - receivedAt);
      w.scored.record(p.predictedAt - receivedAt);
    }
  }
}

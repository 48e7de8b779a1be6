import type { Admin, Consumer, EachBatchPayload, IHeaders, KafkaMessage } from 'kafkajs';
import { AvroCodecError, type Topic } from '@telltale/contracts';
import type { Registry } from '@telltale/runtime';
import { chunkRecords } from './batch-chunks';
import { consumerMetrics, type ConsumerMetrics } from './consumer-metrics';
import type { DeadLetterPublisher, Rejection } from './dead-letter';
import type { KafkaClient } from './kafka-client';
import { OffsetCommits, type PartitionOffset } from './offset-commits';
import { forgetMember, generationOf, recordGenerations, type GroupMetadata } from './txn-offset-commit-v3';

export interface ConsumedRecord<T> {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: T;
  /** Broker/producer timestamp, ms. */
  timestamp: number;
  /** The undecoded bytes, for dead letters. */
  raw: Buffer;
  /** The record's headers as kafkajs gives them (values are Buffers). */
  headers?: IHeaders;
}

/** Where a chunk sits in its partition: for handlers that commit the offset themselves, in a transaction. */
export interface ChunkPosition {
  topic: string;
  partition: number;
  /** The offset after the chunk's last record (undecodable ones included): what the commit after the chunk stores. */
  nextOffset: string;
}

export interface Subscription<T> {
  topic: Topic<T>;
  /**
   * Processes one chunk of a partition's records, in offset order. Resolve only when the work is done (outputs
   * acknowledged, rows inserted): the chunk's offsets are committed right after. Route records that can never
   * succeed to the dead-letter topic and resolve; throw for failures worth retrying (the chunk is fetched again
   * from the last commit). An error with `retriable: false` makes kafkajs give up: see `onFatal`.
   */
  handle(records: Array<ConsumedRecord<T>>, position: ChunkPosition): Promise<void>;
  /**
   * When the collector received the event behind this record (its `receivedAt`, UTC ms): feeds the end-to-end lag
   * metric once the record is committed. 0 or undefined when unknown (records written before the field existed).
   */
  receivedAt?(value: T): number | undefined;
}

export interface BatchConsumerOptions {
  groupId: string;
  subscriptions: Array<Subscription<any>>;
  /** Undecodable records go here with the codec's reason, then their offsets are committed like the rest. */
  deadLetters: DeadLetterPublisher;
  /** Where a new group starts. @default true (earliest) */
  fromBeginning?: boolean;
  /** Partitions processed at once; order is kept within a partition. @default 1 */
  partitionsConsumedConcurrently?: number;
  /** Let the broker gather this much before answering a fetch (bigger batches for ClickHouse). @default 1 */
  minBytes?: number;
  /** @default 500 */
  maxWaitTimeInMs?: number;
  /**
   * Most bytes one fetch brings per partition. The broker still returns a first record batch larger than this
   * whole, so a partition can never get stuck behind one large batch. @default 1048576 (1 MiB)
   */
  maxBytesPerPartition?: number;
  /** Most bytes one fetch brings over all partitions. @default 10485760 (10 MiB) */
  maxBytes?: number;
  /**
   * Called by `stop()` once nothing more is fetched and no handler runs, before the member leaves the group: handlers
   * that hand their work over (to a transaction committed later) finish it here, while their generation still holds
   * (after leaving, the coordinator refuses its offsets).
   */
  beforeLeave?: () => Promise<void>;
  /**
   * Commit handled chunks' offsets at most this often, ms, merged into one request, instead of after every chunk
   * (which the next fetch then waits for). Offsets still only cover handled records (at-least-once); a crash redoes at
   * most this much. Committed at once when the consumer stops or a rebalance begins. @default 0 (after every chunk)
   */
  commitIntervalMs?: number;
  /** Most records one handler call gets. @default 1000 */
  maxBatchRecords?: number;
  /** Most key + value bytes one handler call gets (a single larger record comes alone). @default maxBytesPerPartition */
  maxBatchBytes?: number;
  /**
   * Called once when the consumer is gone for good: kafkajs crashed and will not restart (a non-retriable error,
   * e.g. a handler throwing one). The service should stop in order and exit non-zero so that its supervisor
   * restarts it; until then `health()` reports the failure. Retriable crashes (kafkajs restarts) are only counted.
   */
  onFatal?: (err: Error) => void;
  /** Without a heartbeat for this long, the member is expelled and its partitions reassigned. @default 15000 */
  sessionTimeoutMs?: number;
  /** How often the lag gauge is refreshed from the broker (committed offset vs high watermark), ms. 0 = only after commits. @default 5000 */
  lagRefreshMs?: number;
  /**
   * Where the consumer's metrics go: records consumed, undecodable records, chunk processing time, lag per partition,
   * end-to-end lag (from the subscriptions' `receivedAt`), crashes.
   */
  registry?: Registry;
  /**
   * Called on every group join with this member's partitions (topic → partitions), before any of their records are
   * handed over: handlers that keep per-partition state drop what they no longer own.
   */
  onAssignment?: (assignment: Record<string, number[]>) => void;
  /**
   * The handlers commit each chunk's offset themselves, with their outputs, in one Kafka transaction (`position`):
   * the consumer then sends no offset commit of its own after a handled chunk (one request fewer per chunk), only
   * after chunks no handler saw (every record undecodable) and past transaction markers. @default false
   */
  handlersCommitOffsets?: boolean;
}

/**
 * A consumer that commits a partition's offset only after its handler finished every record before it, so offsets
 * never run ahead of work (at-least-once; downstream de-duplicates by messageId).
 *
 * Bounds: a fetch brings at most `maxBytesPerPartition` per partition (`maxBytes` in all); the handler gets the
 * fetched records in chunks of at most `maxBatchRecords` records and `maxBatchBytes` bytes, one at a time. Each
 * chunk is committed as soon as its handler resolves, with a heartbeat after it, and the rest of the batch is
 * dropped (fetched again from the commit by whoever owns the partition) when the consumer stops or the partition
 * was reassigned meanwhile.
 */
export class BatchConsumer {
  private readonly consumer: Consumer;
  private readonly byTopic: Map<string, Subscription<unknown>>;
  private readonly metrics: ConsumerMetrics | undefined;
  private readonly maxBatchRecords: number;
  private readonly maxBatchBytes: number;
  private running = false;
  private crashed: Error | undefined;
  private fatal: Error | undefined;
  /** Partitions of this member, from its last group join: the lag gauge shows only these. */
  private assignment = new Map<string, number[]>();
  private lagTimer: NodeJS.Timeout | undefined;
  private lagAdmin: Admin | undefined;
  private lagRefresh: Promise<void> | undefined;
  private readonly lagLabels = new Set<string>();
  /** Every offset commit goes through here, so partitions handled side by side share requests. */
  private readonly commits = new OffsetCommits((offsets) => this.consumer.commitOffsets(offsets));
  /** This member's id from its last group join. */
  private memberId: string | undefined;
  /** Offsets of handled chunks not committed yet (commitIntervalMs), per partition. */
  private deferred = new Map<string, PartitionOffset>();
  private deferredTimer: NodeJS.Timeout | undefined;
  /** processBatch calls in progress, and who waits for them to end (stop). */
  private activeBatches = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly client: KafkaClient,
    private readonly options: BatchConsumerOptions,
  ) {
    const maxBytesPerPartition = options.maxBytesPerPartition ?? 1024 * 1024;
    this.maxBatchRecords = options.maxBatchRecords ?? 1000;
    this.maxBatchBytes = options.maxBatchBytes ?? maxBytesPerPartition;
    if (!(this.maxBatchRecords >= 1 && this.maxBatchBytes >= 1)) {
      throw new Error(`maxBatchRecords and maxBatchBytes must be positive, got ${this.maxBatchRecords} and ${this.maxBatchBytes}`);
    }
    this.byTopic = new Map(options.subscriptions.map((s) => [s.topic.name, s as Subscription<unknown>]));
    // Only for groupMetadata(): handlers that commit offsets in a transaction fence by generation with it.
    if (options.handlersCommitOffsets) recordGenerations();
    this.metrics = options.registry ? consumerMetrics(options.registry) : undefined;
    this.consumer = client.kafka.consumer({
      groupId: options.groupId,
      minBytes: options.minBytes ?? 1,
      maxWaitTimeInMs: options.maxWaitTimeInMs ?? 500,
      maxBytesPerPartition,
      maxBytes: options.maxBytes ?? 10 * 1024 * 1024,
      // NOTE: a member killed with -9 holds its partitions until the session times out, so a restarted stage waits
      // that long; 15 s (kafkajs: 30 s) halves it. Long handlers stay in the group through the heartbeat pump below.
      sessionTimeout: options.sessionTimeoutMs ?? 15_000,
      heartbeatInterval: 3_000,
      allowAutoTopicCreation: false,
    });
    this.consumer.on(this.consumer.events.CRASH, ({ payload }) => this.onCrash(payload.error, payload.restart));
    // A fetch holding only transaction markers or aborted records never reaches processBatch: kafkajs moves past it
    // in memory but, with autoCommit off, commits nothing, so the group's offset (and its lag) would stay short of
    // the end of a transactionally written topic for good. Nothing in it needs handling: commit past it.
    this.consumer.on(this.consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      if (payload.batchSize > 0 || !this.running) return;
      void this.commitPast(payload.topic, payload.partition, payload.lastOffset, BigInt(payload.highWatermark));
    });
    // A rebalance is beginning: commit what was handled while the generation still holds, so the partitions' next
    // owners do not redo it.
    this.consumer.on(this.consumer.events.REBALANCING, () => void this.commitDeferred());
    this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) => {
      // Offsets of partitions now owned elsewhere are not ours to commit any more.
      for (const [key, offset] of this.deferred) if (!payload.memberAssignment[offset.topic]?.includes(offset.partition)) this.deferred.delete(key);
      this.crashed = undefined;
      this.assignment = new Map(Object.entries(payload.memberAssignment));
      if (this.memberId !== undefined && this.memberId !== payload.memberId) forgetMember(this.memberId);
      this.memberId = payload.memberId;
      options.onAssignment?.(payload.memberAssignment);
      client.logger.info({ groupId: payload.groupId, assignment: payload.memberAssignment }, 'joined consumer group');
    });
  }

  /** Commits the offset after `lastOffset` (records nobody needs to handle: markers, aborted records). */
  private async commitPast(topic: string, partition: number, lastOffset: string, highWatermark: bigint): Promise<void> {
    const nextOffset = (BigInt(lastOffset) + 1n).toString();
    try {
      await this.commits.commit({ topic, partition, offset: nextOffset });
      this.setLag(topic, partition, highWatermark - BigInt(nextOffset));
    } catch (err) {
      // Harmless: the next chunk's commit covers it, or the next owner skips the markers again.
      this.client.logger.debug({ err, topic, partition, offset: nextOffset }, 'commit past transaction markers failed');
    }
  }

  private onCrash(error: Error, restart: boolean): void {
    this.metrics?.crashes.inc({ group: this.options.groupId, restart: String(restart) });
    this.crashed = error;
    this.client.logger.error({ err: error, groupId: this.options.groupId, restart }, restart ? 'consumer crashed; kafkajs restarts it' : 'consumer crashed for good');
    // A crash while stopping is part of stopping, not a failure to report.
    if (restart || !this.running || this.fatal) return;
    this.fatal = error;
    this.options.onFatal?.(error);
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({
      topics: [...this.byTopic.keys()],
      fromBeginning: this.options.fromBeginning ?? true,
    });
    this.running = true;
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 1,
      eachBatch: (payload) => this.processBatch(payload),
    });
    const intervalMs = this.options.commitIntervalMs ?? 0;
    if (intervalMs > 0) {
      this.deferredTimer = setInterval(() => void this.commitDeferred(), intervalMs);
      this.deferredTimer.unref();
    }
    const refreshMs = this.options.lagRefreshMs ?? 5000;
    if (this.metrics && refreshMs > 0) {
      this.lagAdmin = this.client.kafka.admin();
      this.lagTimer = setInterval(() => {
        this.lagRefresh ??= this.refreshLag().finally(() => (this.lagRefresh = undefined));
      }, refreshMs);
      this.lagTimer.unref();
    }
  }

  private async processBatch(payload: EachBatchPayload): Promise<void> {
    this.activeBatches += 1;
    try {
      await this.processChunks(payload);
    } finally {
      this.activeBatches -= 1;
      if (this.activeBatches === 0) for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }

  private async processChunks({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const subscription = this.byTopic.get(batch.topic);
    if (!subscription) throw new Error(`no subscription for topic ${batch.topic}`);
    const chunks = chunkRecords(
      batch.messages,
      { maxRecords: this.maxBatchRecords, maxBytes: this.maxBatchBytes },
      (m) => (m.value?.length ?? 0) + (m.key?.length ?? 0),
    );
    const batchEnd = BigInt(batch.lastOffset()) + 1n;
    for (const [i, chunk] of chunks.entries()) {
      // Records not handed over are fetched again, from the last commit, by whoever owns the partition next.
      if (!isRunning() || isStale()) return;
      const lastOffset = chunk[chunk.length - 1]!.offset;
      // The fetch may end with records no chunk holds (a transaction's commit marker after its last record): the last
      // chunk's commit covers them too, rather than a commit of its own.
      const afterChunk = BigInt(lastOffset) + 1n;
      const nextOffset = (i === chunks.length - 1 && batchEnd > afterChunk ? batchEnd : afterChunk).toString();
      const position = { topic: batch.topic, partition: batch.partition, nextOffset };
      const startedAt = process.hrtime.bigint();
      const { handled, undecodable, newestReceivedAt } = await withHeartbeats(heartbeat, () => this.processChunk(subscription, position, chunk));
      const committedByHandler = handled > 0 && this.options.handlersCommitOffsets === true;

      // TRICKY: a rebalance during the handler means another member may own the partition now; committing would
      // be rejected anyway, and the new owner re-processes from the last commit (duplicates are dropped downstream).
      if (isStale()) return;
      resolveOffset(lastOffset);
      if (!committedByHandler) {
        const offset = { topic: batch.topic, partition: batch.partition, offset: nextOffset };
        // NOTE: once stopping, commit at once: the member leaves the group as soon as the handlers have returned.
        if ((this.options.commitIntervalMs ?? 0) > 0 && this.running) this.deferred.set(`${offset.topic}\u0000${offset.partition}`, offset);
        else await this.commits.commit(offset).catch(rethrowGroupMembershipError);
      }
      this.metrics?.consumed.inc({ topic: batch.topic }, handled);
      if (undecodable > 0) this.metrics?.undecodable.inc({ topic: batch.topic }, undecodable);
      this.metrics?.chunkSeconds.observe({ topic: batch.topic }, Number(process.hrtime.bigint() - startedAt) / 1e9);
      if (newestReceivedAt > 0) this.metrics?.committedReceipt(batch.topic, newestReceivedAt);
      this.setLag(batch.topic, batch.partition, BigInt(batch.highWatermark) - BigInt(nextOffset));
      await heartbeat();
    }
  }

  /** Dead-letters the chunk's undecodable records and hands the rest to the subscription. */
  private async processChunk(
    subscription: Subscription<unknown>,
    position: ChunkPosition,
    messages: KafkaMessage[],
  ): Promise<{ handled: number; undecodable: number; newestReceivedAt: number }> {
    const { topic, partition } = position;
    const records: Array<ConsumedRecord<unknown>> = [];
    const invalid: Rejection[] = [];
    for (const m of messages) {
      const raw = m.value ?? Buffer.alloc(0);
      const key = m.key ? m.key.toString('utf8') : null;
      try {
        records.push({ topic, partition, offset: m.offset, key, value: subscription.topic.codec.decode(raw), timestamp: Number(m.timestamp), raw, headers: m.headers ?? {} });
      } catch (err) {
        if (!(err instanceof AvroCodecError)) throw err;
        invalid.push({ reason: err.message, payload: raw, key, source: { topic, partition, offset: m.offset } });
      }
    }
    await this.options.deadLetters.publish(invalid);
    if (records.length > 0) await subscription.handle(records, position);
    let newestReceivedAt = 0;
    if (subscription.receivedAt) for (const r of records) newestReceivedAt = Math.max(newestReceivedAt, subscription.receivedAt(r.value) ?? 0);
    return { handled: records.length, undecodable: invalid.length, newestReceivedAt };
  }

  private setLag(topic: string, partition: number, lag: bigint): void {
    if (!this.metrics) return;
    const label = `${topic}\u0000${partition}`;
    this.lagLabels.add(label);
    this.metrics.lag.set({ topic, partition: String(partition) }, Number(lag < 0n ? 0n : lag));
  }

  /**
   * NOTE: the lag after a commit goes stale exactly when it matters (a handler blocked on ClickHouse commits
   * nothing), so it is also read from the broker on a timer: this member's partitions, committed offset vs high
   * watermark. Partitions assigned elsewhere since are dropped from the gauge.
   */
  private async refreshLag(): Promise<void> {
    const admin = this.lagAdmin;
    if (!admin || !this.metrics) return;
    try {
      await admin.connect();
      const current = new Set<string>();
      for (const [topic, partitions] of this.assignment) {
        if (partitions.length === 0) continue;
        const [ends, committed] = await Promise.all([
          admin.fetchTopicOffsets(topic),
          admin.fetchOffsets({ groupId: this.options.groupId, topics: [topic] }),
        ]);
        const committedByPartition = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, p.offset]));
        for (const end of ends) {
          if (!partitions.includes(end.partition)) continue;
          const offset = committedByPartition.get(end.partition);
          // Nothing committed yet: the group starts at the log start (fromBeginning), so all of it is lag.
          const from = offset === undefined || offset === '-1' ? BigInt(end.low) : BigInt(offset);
          if (!this.running) return;
          this.setLag(topic, end.partition, BigInt(end.high) - from);
          current.add(`${topic}\u0000${end.partition}`);
        }
      }
      for (const label of this.lagLabels) {
        if (current.has(label)) continue;
        const [topic, partition] = label.split('\u0000') as [string, string];
        this.metrics.lag.remove({ topic, partition });
        this.lagLabels.delete(label);
      }
    } catch (err) {
      this.client.logger.warn({ err, groupId: this.options.groupId }, 'could not refresh consumer lag');
    }
  }

  /**
   * This member's place in the group as of its last join (KIP-447's consumer group metadata), for handlers that
   * commit offsets in a transaction (`handlersCommitOffsets`): the coordinator refuses offsets from a member the
   * group has moved on from. Undefined before the first join.
   */
  groupMetadata(): GroupMetadata | undefined {
    const memberId = this.memberId;
    const generationId = memberId === undefined ? undefined : generationOf(memberId);
    return memberId === undefined || generationId === undefined ? undefined : { groupId: this.options.groupId, memberId, generationId };
  }

  /**
   * Reads a partition again from `offset`: the next fetch starts there, and what was fetched beyond it and not yet
   * handed to the handler is dropped (a handler that commits in a transaction which failed). Ignored for a partition
   * this member does not own.
   */
  seek(topic: string, partition: number, offset: string): void {
    // Stopping: the partition's next owner (or this stage restarted) reads it from the committed offset anyway.
    if (!this.running) return;
    this.consumer.seek({ topic, partition, offset });
  }

  /** Healthy while running and not crashed (kafkajs restarts after retriable crashes and clears this on re-join). */
  health(): { ok: boolean; detail?: string } {
    if (this.fatal) return { ok: false, detail: `consumer stopped for good: ${this.fatal.message}` };
    if (!this.running) return { ok: false, detail: 'not running' };
    if (this.crashed) return { ok: false, detail: `crashed, restarting: ${this.crashed.message}` };
    return { ok: true };
  }

  /** Commits the deferred offsets (commitIntervalMs) in one request. */
  private async commitDeferred(): Promise<void> {
    if (this.deferred.size === 0) return;
    const offsets = [...this.deferred.values()];
    this.deferred.clear();
    await Promise.all(offsets.map((o) => this.commits.commit(o))).catch((err: unknown) => {
      // Nothing is lost: the partitions are read again from the last commit by whoever owns them (kafkajs rejoins on
      // membership errors by itself), and their records are processed again (at-least-once).
      this.client.logger.warn({ err, groupId: this.options.groupId, offsets }, 'deferred offset commit failed');
    });
  }

  /** Waits for the chunk in progress (and its commit), then leaves the group. Safe to call twice. */
  async stop(): Promise<void> {
    const wasRunning = this.running;
    this.running = false;
    if (this.deferredTimer) clearInterval(this.deferredTimer);
    this.deferredTimer = undefined;
    if (wasRunning && this.options.beforeLeave) {
      // Fetch nothing more, let the handlers in progress end, then let the caller finish what they handed over.
      try {
        this.consumer.pause([...this.byTopic.keys()].map((topic) => ({ topic })));
      } catch (err) {
        // kafkajs gave up already (nothing is fetched any more either way).
        this.client.logger.debug({ err, groupId: this.options.groupId }, 'could not pause before leaving');
      }
      if (this.activeBatches > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
      await this.options.beforeLeave();
    }
    await this.commitDeferred();
    if (this.lagTimer) clearInterval(this.lagTimer);
    this.lagTimer = undefined;
    await this.consumer.disconnect();
    if (this.memberId !== undefined) forgetMember(this.memberId);
    await this.lagRefresh;
    await this.lagAdmin?.disconnect();
    this.lagAdmin = undefined;
  }
}

/**
 * How often a long handler (an insert into a ClickHouse that stopped answering) asks for a heartbeat. kafkajs sends
 * one only when its heartbeatInterval (3 s) has passed, so asking every second keeps the gap near 3 s rather than
 * up to 6 s (a tick just before the interval is skipped).
 */
const HEARTBEAT_PUMP_MS = 1_000;

/**
 * Runs `work` while heart-beating every few seconds. TRICKY: kafkajs heartbeats only between batches, so a handler
 * stuck longer than the session timeout gets its member expelled, its commit refused and the consumer crashed,
 * although the stage was only waiting on a slow dependency. A heartbeat that fails (a rebalance began) is ignored:
 * the commit after the work finds out, and the partition is re-fetched by its next owner from the last commit.
 */
async function withHeartbeats<T>(heartbeat: () => Promise<void>, work: () => Promise<T>): Promise<T> {
  const pump = setInterval(() => void heartbeat().catch(() => undefined), HEARTBEAT_PUMP_MS);
  try {
    return await work();
  } finally {
    clearInterval(pump);
  }
}

const MEMBERSHIP_ERRORS = new Set(['UNKNOWN_MEMBER_ID', 'ILLEGAL_GENERATION', 'REBALANCE_IN_PROGRESS', 'NOT_COORDINATOR_FOR_GROUP']);

/**
 * A commit refused because this member left the group (expelled after a long pause, or a rebalance) is not a fatal
 * error: nothing is lost (the chunk is redone from the last commit by whoever owns the partition) and the member
 * must rejoin. kafkajs rejoins on these protocol errors, but its commit retrier wraps them in a non-retriable error
 * that would crash the consumer for good; hand kafkajs the protocol error itself.
 */
function rethrowGroupMembershipError(err: unknown): never {
  for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) {
    if (MEMBERSHIP_ERRORS.has((e as { type?: string }).type ?? '')) throw e;
  }
  throw err;
}

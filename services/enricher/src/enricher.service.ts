import { AvroCodecError, type RawEvent } from '@telltale/contracts';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import {
  BatchConsumer,
  connectStage,
  openTransactionWriter,
  readPartition,
  recordBytes,
  rejectionOf,
  type ChunkPosition,
  type ConsumedRecord,
  type Rejection,
  type TransactionRecord,
} from '@telltale/kafka';
import { Counter, Gauge, Histogram, type ServiceContext, type ServiceDefinition, type StartedService } from '@telltale/runtime';
import { loadEnricherConfig, type EnricherConfig } from './enricher.config';
import { EventEnricher, type EnricherOptions, type RejectionCause } from './event-enricher';
import { PartitionState } from './partition-state';
import { TransactionBatcher, type ChunkCommit } from './transaction-batcher';

/** The broker aborts an instance's transaction left open this long (Kafka Streams' exactly-once default). */
const TRANSACTION_TIMEOUT_MS = 10_000;

export interface EnricherDeps {
  /**
   * Called with a transaction's records (every partition's chunks of one interval) just before it is sent; a throw
   * fails the transaction, and so every chunk in it, like a broker error would (tests inject failures here).
   * @default none
   */
  beforeCommit?: (records: TransactionRecord[]) => Promise<void> | void;
}

export function createEnricherService(deps: EnricherDeps = {}): ServiceDefinition<EnricherConfig> {
  return {
    name: 'enricher',
    loadConfig: loadEnricherConfig,
    adminPort: (config) => config.ADMIN_PORT,
    start: (config, ctx) => startEnricher(config, ctx, deps),
  };
}

export const enricherService = createEnricherService();

/** A partition of events.raw this instance owns: its restored state. */
interface OwnedPartition {
  enricher: EventEnricher;
}

async function startEnricher(config: EnricherConfig, { logger, registry, fail }: ServiceContext, deps: EnricherDeps): Promise<StartedService> {
  const { topics, client, producer, deadLetters } = await connectStage({
    stage: 'enricher',
    brokers: config.KAFKA_BROKERS,
    topicPrefix: config.TOPIC_PREFIX,
    logger,
    producer: { maxRequestBytes: config.KAFKA_MAX_REQUEST_BYTES },
    registry,
  });
  const groupId = config.ENRICHER_GROUP_ID;

  // Partition p of the changelog holds the state of partition p of events.raw: the counts must match.
  const rawPartitions = producer.partitionCount(topics.rawEvents.name);
  const statePartitions = producer.partitionCount(topics.enricherState.name);
  if (rawPartitions === undefined || rawPartitions !== statePartitions) {
    await producer.disconnect();
    throw new Error(
      `${topics.enricherState.name} has ${statePartitions} partitions and ${topics.rawEvents.name} ${rawPartitions}: the enricher's changelog needs one partition per input partition (create it with as many)`,
    );
  }

  const sessionTimeoutMs = config.ENRICHER_SESSION_TIMEOUT_S * 1000;
  const enricherOptions: EnricherOptions = {
    sessionTimeoutMs,
    // NOTE: capped at the session timeout: an event later than that could belong to another session than the current one.
    latenessMs: Math.min(config.ENRICHER_LATENESS_S * 1000, sessionTimeoutMs),
    maxFutureMs: config.ENRICHER_MAX_FUTURE_S * 1000,
    recentEventsCap: config.ENRICHER_LATE_EVENTS_KEPT,
    dedupeWindowMs: config.ENRICHER_DEDUPE_WINDOW_S * 1000,
    dedupeCapacity: config.ENRICHER_DEDUPE_CAPACITY,
    maxVisitors: config.ENRICHER_MAX_USERS,
    maxBytes: config.ENRICHER_STATE_MAX_MIB * 1024 * 1024,
  };

  const outcomes = new Counter({
    name: 'telltale_enricher_events_total',
    help: 'Raw events by outcome (enriched, duplicate, rejected: invalid; link_refused: a second user for a linked anonymous id; too_late: beyond the lateness bound; too_large: an output exceeded its topic limit). All but enriched and duplicate are dead-lettered.',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const identityLinks = new Counter({
    name: 'telltale_enricher_identity_links_total',
    help: 'identify/alias links of an anonymous id to a user: linked (first link), refused (already linked to another user; dead-lettered)',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const lateEvents = new Counter({
    name: 'telltale_enricher_late_events_total',
    help: 'Events earlier than their visitor\'s latest event: joined (within the lateness bound, joined the session) or dead_lettered (beyond it)',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const lateVectors = new Counter({
    name: 'telltale_enricher_late_vectors_total',
    help: 'Feature vectors of late events joined to their session: exact (as of the event time) or lower_bound (counting only the event itself: events after it were dropped for the cap of kept events, or the state was written before events were kept)',
    labelNames: ['as_of'],
    registers: [registry],
  });
  const restoreSeconds = new Histogram({
    name: 'telltale_enricher_state_restore_seconds',
    help: 'Time to restore one partition\'s state from the changelog (fencing the previous owner included)',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [registry],
  });
  const restoredRecords = new Counter({
    name: 'telltale_enricher_state_restored_records_total',
    help: 'Changelog records read while restoring partitions',
    registers: [registry],
  });
  const evictions = new Counter({
    name: 'telltale_enricher_state_evictions_total',
    help: 'State forgotten for room before its time: visitor (beyond ENRICHER_MAX_USERS per partition), message (beyond ENRICHER_DEDUPE_CAPACITY per partition, before the de-dup window ended)',
    labelNames: ['kind'],
    registers: [registry],
  });
  const lagSeconds = new Gauge({
    name: 'telltale_enricher_last_event_delay_seconds',
    help: 'Collector receive time to enrichment, for the last event processed',
    registers: [registry],
  });

  const owned = new Map<number, Promise<OwnedPartition>>();
  /** The restored ones, for the gauges (which cannot wait on a promise). */
  const ready = new Map<number, OwnedPartition>();
  new Gauge({
    name: 'telltale_enricher_tracked_users',
    help: 'Visitors with session state in memory, over the partitions this instance owns',
    registers: [registry],
    collect() {
      this.set([...ready.values()].reduce((n, p) => n + p.enricher.trackedVisitors, 0));
    },
  });
  new Gauge({
    name: 'telltale_enricher_state_bytes',
    help: 'Heap of the state of the partitions this instance owns, estimated from the measured cost of its entries (bounded by ENRICHER_STATE_MAX_MIB per partition)',
    registers: [registry],
    collect() {
      this.set([...ready.values()].reduce((n, p) => n + p.enricher.stateBytes, 0));
    },
  });
  new Gauge({
    name: 'telltale_enricher_remembered_messages',
    help: 'messageIds in the de-duplication window, over the partitions this instance owns',
    registers: [registry],
    collect() {
      this.set([...ready.values()].reduce((n, p) => n + p.enricher.rememberedMessages, 0));
    },
  });

  /**
   * Takes a partition over: replays its changelog into a fresh state; only then are its events processed.
   * NOTE: no fencing is needed here: a previous owner's transaction still open on the changelog holds the read back
   * until it ends, and a previous owner that lost the partition can no longer commit (its offsets carry a generation
   * the group has left behind: KIP-447, see TransactionBatcher and txn-offset-commit-v3.ts).
   */
  async function restore(partition: number): Promise<OwnedPartition> {
    const started = performance.now();
    try {
      const state = new PartitionState(enricherOptions);
      const records = await readPartition(client, topics.enricherState, partition, (key, value) => state.restore(key, value), {
        groupIdPrefix: `${groupId}.restore`,
        timeoutMs: config.ENRICHER_RESTORE_TIMEOUT_S * 1000,
      });
      const seconds = (performance.now() - started) / 1000;
      restoreSeconds.observe(seconds);
      restoredRecords.inc(records);
      const enricher = new EventEnricher(enricherOptions, state);
      logger.info({ partition, records, visitors: enricher.trackedVisitors, messages: enricher.rememberedMessages, seconds }, 'restored partition state');
      return { enricher };
    } catch (err) {
      // A changelog record that cannot be decoded fails every retry the same way: give up (exit 1) rather than
      // process the partition without its state or retry forever.
      if (err instanceof AvroCodecError) throw Object.assign(new Error(`partition ${partition} of ${topics.enricherState.name} cannot be restored: ${err.message}`, { cause: err }), { retriable: false });
      throw err;
    }
  }

  function ownedPartition(partition: number): Promise<OwnedPartition> {
    let entry = owned.get(partition);
    if (!entry) {
      entry = restore(partition);
      owned.set(partition, entry);
      const restoring = entry;
      // Only while still owned: a partition released during its restore must not come back through the gauges.
      restoring.then(
        (p) => owned.get(partition) === restoring && ready.set(partition, p),
        () => owned.get(partition) === restoring && owned.delete(partition),
      );
    }
    return entry;
  }

  /**
   * Bumped whenever a partition's state is forgotten: a chunk processed on the state of an earlier epoch (it began
   * before its partition was dropped) must not be handed over to a transaction.
   */
  const epochs = new Map<number, number>();

  /** Forgets a partition's state: the next chunk of it restores from the changelog. */
  function release(partition: number): void {
    owned.delete(partition);
    ready.delete(partition);
    epochs.set(partition, (epochs.get(partition) ?? 0) + 1);
  }

  /**
   * NOTE: exactly once from raw event to outputs and state: a chunk's clean events, feature vectors, identity links,
   * dead letters, state changes and the consumer offset are in one Kafka transaction (with the other partitions'
   * chunks of the same interval). A crash or failed send leaves none of it visible; the state of every partition in
   * it is then dropped and restored from the changelog, and those partitions are read again from their committed
   * offsets (`dropped`), so the retry meets the state the first try met and produces the same outputs. The handler
   * returns once its chunk is handed over (and the transaction before it has ended), so the next fetch and chunk
   * proceed while it commits.
   */
  async function handle(records: Array<ConsumedRecord<RawEvent>>, position: ChunkPosition): Promise<void> {
    const partition = position.partition;
    const epoch = epochs.get(partition) ?? 0;
    const group = consumer.groupMetadata();
    const part = await ownedPartition(partition);
    const counts = new Map<string, number>();
    const count = (outcome: string) => counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
    const links = { linked: 0, refused: 0 };
    const late = { joined: 0, dead_lettered: 0 };
    const lateAsOf = { exact: 0, lower_bound: 0 };
    let lastDelayS: number | undefined;
    const rejections: Rejection[] = [];
    try {
      const out: TransactionRecord[] = [];
      const deadLetter = (record: ConsumedRecord<RawEvent>, why: { reason: string; field: string | null }) => {
        const rejection = rejectionOf(record, why);
        rejections.push(rejection);
        const letter = deadLetters.encodeToFit(rejection);
        out.push({ topic: topics.deadLetters.name, key: letter.key, value: letter.value, headers: letter.headers });
      };
      /** Adds an output, or dead-letters the raw event when the output can never fit its topic. */
      const emit = (record: ConsumedRecord<RawEvent>, topicName: string, key: string, value: Buffer): boolean => {
        const bytes = recordBytes(key, value);
        const max = producer.maxRecordBytes(topicName);
        if (bytes <= max) {
          out.push({ topic: topicName, key, value });
          return true;
        }
        const reason = `output of ${bytes} bytes exceeds the ${max}-byte limit of topic ${topicName}`;
        logger.warn({ topic: record.topic, partition, offset: record.offset, messageId: record.value.messageId, reason }, 'output too large');
        deadLetter(record, { reason, field: null });
        count('too_large');
        return false;
      };

      for (const record of records) {
        const result = part.enricher.enrich(record.value);
        count(result.outcome === 'rejected' ? rejectedOutcome(result.cause) : result.outcome);
        if (result.outcome === 'enriched') {
          emit(record, topics.cleanEvents.name, result.clean.userKey, topics.cleanEvents.codec.encode(result.clean));
          if (result.features) emit(record, topics.features.name, result.features.userKey, topics.features.codec.encode(result.features));
          if (result.link) {
            emit(record, topics.identityLinks.name, result.link.anonymousId, topics.identityLinks.codec.encode(result.link));
            links.linked += 1;
          }
          if (result.late) late.joined += 1;
          if (result.features && result.asOf !== 'latest') lateAsOf[result.asOf] += 1;
          lastDelayS = (result.clean.enrichedAt - result.clean.receivedAt) / 1000;
        } else if (result.outcome === 'rejected') {
          logger.warn({ topic: record.topic, partition, offset: record.offset, messageId: record.value.messageId, cause: result.cause, ...result.failure }, 'event rejected');
          deadLetter(record, result.failure);
          if (result.cause === 'link_refused') links.refused += 1;
          if (result.cause === 'too_late') late.dead_lettered += 1;
        }
      }
      for (const change of part.enricher.takeChanges()) {
        out.push({
          topic: topics.enricherState.name,
          partition,
          key: change.key,
          value: change.value === null ? null : topics.enricherState.codec.encode(change.value),
        });
      }
      const evicted = part.enricher.takeEvictions();
      // TRICKY: the partition was dropped while this chunk waited for its state (a transaction failed, or it was
      // revoked): what it computed builds on a state that no longer counts. It is read again from the committed offset.
      if ((epochs.get(partition) ?? 0) !== epoch) return;
      await batcher.handOver({
        topic: position.topic,
        partition,
        firstOffset: records[0]?.offset,
        nextOffset: position.nextOffset,
        records: out,
        ...(group ? { group } : {}),
        // Counted once the chunk is committed, so a retried chunk is not counted twice.
        onCommitted: () => {
          deadLetters.countWritten(rejections);
          for (const [outcome, n] of counts) outcomes.inc({ outcome }, n);
          for (const [outcome, n] of Object.entries(links)) if (n > 0) identityLinks.inc({ outcome }, n);
          for (const [outcome, n] of Object.entries(late)) if (n > 0) lateEvents.inc({ outcome }, n);
          for (const [asOf, n] of Object.entries(lateAsOf)) if (n > 0) lateVectors.inc({ as_of: asOf }, n);
          if (evicted.visitors > 0) evictions.inc({ kind: 'visitor' }, evicted.visitors);
          if (evicted.messages > 0) evictions.inc({ kind: 'message' }, evicted.messages);
          if (lastDelayS !== undefined) lagSeconds.set(lastDelayS);
        },
      });
    } catch (err) {
      // The state has moved past what was committed (or the partition moved away): forget it, restore on the retry.
      logger.warn({ err, partition, offset: records[0]?.offset }, 'chunk not processed: dropping the partition state, it is restored from the changelog on retry');
      release(partition);
      throw err;
    }
  }

  /**
   * A transaction failed: its chunks and the ones processed after them will never commit. Their partitions' state is
   * forgotten (restored from the changelog before their next chunk) and they are read again from the first offset
   * not committed, exactly as if this instance had restarted.
   */
  function dropped(chunks: readonly ChunkCommit[], err: unknown): void {
    const from = new Map<number, { topic: string; offset: bigint }>();
    for (const c of chunks) {
      if (c.firstOffset === undefined) continue;
      const offset = BigInt(c.firstOffset);
      const seen = from.get(c.partition);
      if (!seen || offset < seen.offset) from.set(c.partition, { topic: c.topic, offset });
    }
    for (const [partition, { topic, offset }] of from) {
      release(partition);
      consumer.seek(topic, partition, offset.toString());
    }
    logger.warn({ err, partitions: [...from].map(([partition, { offset }]) => ({ partition, from: offset.toString() })) }, 'transaction failed: partitions read again from their committed offsets, their state restored');
  }

  const instanceId = config.ENRICHER_INSTANCE_ID ?? (config.ADMIN_PORT === 0 ? randomUUID() : `${hostname()}:${config.ADMIN_PORT}`);
  const transactionalId = `${groupId}.${instanceId}`;
  const transactions = new Counter({
    name: 'telltale_enricher_transactions_total',
    help: 'Kafka transactions of the instance (each holds every owned partition\'s chunks of one commit interval), by outcome',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const batcher: TransactionBatcher = new TransactionBatcher({
    openWriter: () =>
      openTransactionWriter(client, transactionalId, {
        requestBudget: producer.requestBudget,
        partitionsOf: (t) => producer.partitionCount(t) ?? Number.POSITIVE_INFINITY,
        transactionTimeoutMs: TRANSACTION_TIMEOUT_MS,
      }),
    groupId,
    groupMetadata: () => consumer.groupMetadata(),
    intervalMs: config.ENRICHER_COMMIT_INTERVAL_MS,
    ...(deps.beforeCommit ? { beforeCommit: (chunks) => deps.beforeCommit!(chunks.flatMap((c) => c.records)) } : {}),
    onOutcome: (outcome) => transactions.inc({ outcome }),
    onDropped: dropped,
  });

  const consumer: BatchConsumer = new BatchConsumer(client, {
    groupId,
    subscriptions: [{ topic: topics.rawEvents, handle, receivedAt: (e) => e.receivedAt }],
    deadLetters,
    registry,
    // NOTE: each partition has its own state and transactional writer, so they are processed side by side: a
    // transaction's round trips (about 10 ms) then delay one partition's events, not every partition's in turn.
    partitionsConsumedConcurrently: rawPartitions,
    // The offset goes in each chunk's transaction; a separate commit after it would be a redundant request.
    handlersCommitOffsets: true,
    // Partitions that moved elsewhere: their state here is stale from now on.
    onAssignment: (assignment) => {
      const mine = new Set(assignment[topics.rawEvents.name] ?? []);
      for (const partition of owned.keys()) if (!mine.has(partition)) release(partition);
    },
    // kafkajs gave up (a non-retriable error): stop in order and exit 1, so the supervisor restarts the process.
    onFatal: (err) => fail(`consumer of ${topics.rawEvents.name} gave up`, err),
    // Chunks handed over are committed before the member leaves the group: its generation must still hold.
    beforeLeave: () => batcher.close(),
  });
  try {
    // Opening fences a predecessor with the same transactional id (a restarted instance): what it left open is aborted now.
    await batcher.open();
    await consumer.start();
  } catch (err) {
    await batcher.close().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    throw err;
  }
  logger.info({ transactionalId, commitIntervalMs: config.ENRICHER_COMMIT_INTERVAL_MS }, 'transactional writer open');

  return {
    checks: { consumer: () => consumer.health() },
    describe: { from: topics.rawEvents.name, groupId, transactionalId },
    // Order: finish the chunks in progress and commit every chunk handed over (beforeLeave), leave the group, flush.
    async close() {
      await consumer.stop();
      await batcher.close();
      owned.clear();
      ready.clear();
      await producer.disconnect();
    },
  };
}

function rejectedOutcome(cause: RejectionCause): string {
  return cause === 'invalid' ? 'rejected' : cause;
}

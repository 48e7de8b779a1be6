import type { ConsumedOffsets, GroupMetadata, TransactionRecord, TransactionWriter } from '@telltale/kafka';

/** One partition's chunk, ready to commit: its outputs and state changes, and the offset after it. */
export interface ChunkCommit {
  topic: string;
  partition: number;
  /** The offset of the chunk's first record: where its partition is read again from when the chunk is dropped. */
  firstOffset?: string;
  /** The next offset to consume after the chunk. */
  nextOffset: string;
  records: TransactionRecord[];
  /**
   * The consumer's generation when the chunk was processed (KIP-447 fencing): its offsets are committed with it, so a
   * chunk processed before a rebalance is refused after it. @default the options' groupMetadata() at commit time
   */
  group?: GroupMetadata;
  /** Called once the transaction holding the chunk committed (counters that must not count a retried chunk twice). */
  onCommitted?: () => void;
}

export interface TransactionBatcherOptions {
  /** Opens the instance's transactional writer (again after a failed commit, which may leave it unusable). */
  openWriter: () => Promise<TransactionWriter>;
  groupId: string;
  /** The consumer's generation at commit time (KIP-447 fencing); undefined before its first join. */
  groupMetadata: () => GroupMetadata | undefined;
  /** Least time between the starts of two transactions, ms. */
  intervalMs: number;
  /** Called once per transaction, with its chunks, just before it is sent (tests inject failures here). */
  beforeCommit?: (chunks: readonly ChunkCommit[]) => Promise<void> | void;
  /** Called once per transaction when it ended (metrics). */
  onOutcome?: (outcome: 'committed' | 'failed') => void;
  /**
   * Called when a transaction failed, with every chunk handed over (`handOver`) that will now never commit: those of
   * the failed transaction and every one waiting for the next (processed on a state that included the failed ones).
   * The caller drops those partitions' state and reads them again from their committed offsets.
   */
  onDropped?: (chunks: readonly ChunkCommit[], err: unknown) => void;
  now?: () => number;
}

interface Waiting {
  chunk: ChunkCommit;
  resolve: () => void;
  /** Undefined for a chunk handed over: its failure goes to onDropped. */
  reject?: (err: unknown) => void;
}

/**
 * Commits the chunks of every partition an instance owns together, in one Kafka transaction per interval (a group
 * commit). A chunk's handler either awaits `commit`, which resolves once the transaction holding its chunk committed
 * and rejects, for every chunk in it, when it did not; or hands it over (`handOver`) and goes on reading while it
 * commits, learning of a failure through `onDropped`.
 *
 * NOTE: why not one transaction per partition: a transaction costs the broker ~5-10 ms of CPU and the client ~4 ms
 * however many records and partitions it spans (measured), so their number, not their size, is the cost. A chunk
 * waits at most `intervalMs` for its transaction to start; while one is in flight, chunks gather for the next. After
 * an idle spell the first chunk is committed at once.
 */
export class TransactionBatcher {
  private waiting: Waiting[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private lastStart = Number.NEGATIVE_INFINITY;
  private writer: Promise<TransactionWriter> | undefined;
  private closed = false;
  /** Transactions started, for metrics. */
  transactions = 0;
  private readonly now: () => number;

  constructor(private readonly opts: TransactionBatcherOptions) {
    this.now = opts.now ?? (() => performance.now());
  }

  /** Opens the writer now (fencing a predecessor with the same transactional id) rather than at the first commit. */
  async open(): Promise<void> {
    this.writer ??= this.opts.openWriter();
    await this.writer;
  }

  /** Resolves once `chunk` is committed with its offset; rejects (with the commit's error) if its transaction failed. */
  commit(chunk: ChunkCommit): Promise<void> {
    if (this.closed) return Promise.reject(new Error('transaction batcher is closed'));
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ chunk, resolve, reject });
      this.schedule();
    });
  }

  /**
   * Adds `chunk` to the next transaction and resolves as soon as the caller may go on with more input: at once, or,
   * while a transaction is in flight, when it has ended. So input is read and processed while the previous chunks
   * commit (at most one transaction in flight and one gathering), rather than the reading waiting for every commit.
   * The chunk's outcome: `onCommitted`, or `onDropped` (with every chunk that depended on it).
   */
  handOver(chunk: ChunkCommit): Promise<void> {
    if (this.closed) return Promise.reject(new Error('transaction batcher is closed'));
    const ahead = this.inFlight;
    this.waiting.push({ chunk, resolve: () => undefined });
    this.schedule();
    return ahead ?? Promise.resolve();
  }

  private schedule(): void {
    if (this.timer || this.inFlight || this.waiting.length === 0) return;
    const wait = Math.max(0, this.lastStart + this.opts.intervalMs - this.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.inFlight = this.flush().finally(() => {
        this.inFlight = undefined;
        this.schedule();
      });
    }, wait);
  }

  private async flush(): Promise<void> {
    // One generation per transaction: chunks processed after a rebalance wait for the next one (and are dropped with
    // the earlier ones if those are refused).
    const generation = this.waiting[0]?.chunk.group?.generationId;
    const batch = this.waiting.filter((w) => w.chunk.group?.generationId === generation);
    this.waiting = this.waiting.filter((w) => w.chunk.group?.generationId !== generation);
    this.lastStart = this.now();
    this.transactions += 1;
    const chunks = batch.map((w) => w.chunk);
    try {
      await this.opts.beforeCommit?.(chunks);
      this.writer ??= this.opts.openWriter();
      const writer = await this.writer;
      const offsets: ConsumedOffsets = {
        groupId: this.opts.groupId,
        partitions: latestOffsets(chunks),
        group: chunks[0]?.group ?? this.opts.groupMetadata(),
      };
      await writer.commit(
        chunks.flatMap((c) => c.records),
        offsets,
      );
    } catch (err) {
      // The writer may be mid-way through an abort the broker never answered: the next transaction gets a new one
      // (opening it under the same id ends whatever this one left open).
      const failed = this.writer;
      this.writer = undefined;
      void failed?.then((w) => w.close()).catch(() => undefined);
      this.opts.onOutcome?.('failed');
      // Chunks handed over after these were processed on the state these changed: they go too.
      const dropped = [...batch, ...this.waiting.filter((w) => !w.reject)];
      this.waiting = this.waiting.filter((w) => w.reject);
      for (const w of batch) w.reject?.(err);
      const handedOver = dropped.filter((w) => !w.reject).map((w) => w.chunk);
      if (handedOver.length > 0) this.opts.onDropped?.(handedOver, err);
      return;
    }
    this.opts.onOutcome?.('committed');
    for (const w of batch) {
      w.chunk.onCommitted?.();
      w.resolve();
    }
  }

  /** Commits what waits (and waits for a commit in flight), then closes the writer. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (;;) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      if (!this.inFlight && this.waiting.length > 0) this.inFlight = this.flush().finally(() => (this.inFlight = undefined));
      if (!this.inFlight) break;
      await this.inFlight;
    }
    const writer = this.writer;
    this.writer = undefined;
    await writer?.then(
      (w) => w.close(),
      () => undefined,
    );
  }
}

/** Per partition, the offset after its last chunk in the transaction (chunks of one partition arrive in order). */
function latestOffsets(chunks: readonly ChunkCommit[]): ConsumedOffsets['partitions'] {
  const byPartition = new Map<string, ConsumedOffsets['partitions'][number]>();
  for (const c of chunks) {
    const key = `${c.topic}\u0000${c.partition}`;
    const seen = byPartition.get(key);
    if (!seen || BigInt(c.nextOffset) > BigInt(seen.offset)) byPartition.set(key, { topic: c.topic, partition: c.partition, offset: c.nextOffset });
  }
  return [...byPartition.values()];
}

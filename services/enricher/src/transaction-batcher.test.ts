import type { ConsumedOffsets, TransactionRecord, TransactionWriter } from '@telltale/kafka';
import { TransactionBatcher, type ChunkCommit } from './transaction-batcher';

/** A writer that records each commit and can be told to fail the next one. */
function fakeWriter() {
  const commits: Array<{ records: TransactionRecord[]; offsets: ConsumedOffsets }> = [];
  let failNext: Error | undefined;
  let release: (() => void) | undefined;
  const writer: TransactionWriter & { closed: number } = {
    closed: 0,
    async commit(records, offsets) {
      if (release === undefined && hold) await new Promise<void>((r) => (release = r));
      if (failNext) {
        const err = failNext;
        failNext = undefined;
        throw err;
      }
      commits.push({ records, offsets });
    },
    async close() {
      writer.closed += 1;
    },
  };
  let hold = false;
  return {
    writer,
    commits,
    failNextWith: (err: Error) => (failNext = err),
    holdCommits: () => (hold = true),
    releaseCommit: () => {
      hold = false;
      release?.();
    },
  };
}

const chunk = (partition: number, nextOffset: string, key = `k${partition}-${nextOffset}`): ChunkCommit => ({
  topic: 'events.raw',
  partition,
  nextOffset,
  records: [{ topic: 'events.clean', key, value: Buffer.from(key) }],
});

const group = { groupId: 'g', generationId: 7, memberId: 'm-1' };

describe('TransactionBatcher', () => {
  it('commits chunks of several partitions that arrive together in one transaction, with each partition\'s offset and the generation', async () => {
    const w = fakeWriter();
    const batcher = new TransactionBatcher({ openWriter: async () => w.writer, groupId: 'g', groupMetadata: () => group, intervalMs: 0 });
    await Promise.all([batcher.commit(chunk(0, '10')), batcher.commit(chunk(1, '5')), batcher.commit(chunk(2, '8'))]);
    expect(w.commits).toHaveLength(1);
    expect(w.commits[0]!.records.map((r) => r.key)).toEqual(['k0-10', 'k1-5', 'k2-8']);
    expect(w.commits[0]!.offsets).toEqual({
      groupId: 'g',
      group,
      partitions: [
        { topic: 'events.raw', partition: 0, offset: '10' },
        { topic: 'events.raw', partition: 1, offset: '5' },
        { topic: 'events.raw', partition: 2, offset: '8' },
      ],
    });
    await batcher.close();
  });

  it('gathers the chunks that arrive while a transaction is in flight into the next one, keeping each partition\'s latest offset', async () => {
    const w = fakeWriter();
    const batcher = new TransactionBatcher({ openWriter: async () => w.writer, groupId: 'g', groupMetadata: () => group, intervalMs: 0 });
    w.holdCommits();
    const first = batcher.commit(chunk(0, '1'));
    await new Promise((r) => setTimeout(r, 5));
    const later = [batcher.commit(chunk(1, '3')), batcher.commit(chunk(1, '9', 'k1-second')), batcher.commit(chunk(0, '2'))];
    w.releaseCommit();
    await Promise.all([first, ...later]);
    expect(w.commits.map((c) => c.records.length)).toEqual([1, 3]);
    expect(w.commits[1]!.offsets.partitions).toEqual([
      { topic: 'events.raw', partition: 1, offset: '9' },
      { topic: 'events.raw', partition: 0, offset: '2' },
    ]);
    await batcher.close();
  });

  it('waits the interval since the last transaction began before starting the next', async () => {
    jest.useFakeTimers();
    try {
      let now = 1_000;
      const w = fakeWriter();
      const batcher = new TransactionBatcher({ openWriter: async () => w.writer, groupId: 'g', groupMetadata: () => group, intervalMs: 50, now: () => now });
      const first = batcher.commit(chunk(0, '1')); // after idle: at once
      await jest.advanceTimersByTimeAsync(0);
      await first;
      now += 10;
      const next = batcher.commit(chunk(0, '2'));
      await jest.advanceTimersByTimeAsync(39);
      expect(w.commits).toHaveLength(1); // 1 ms of the interval left
      now += 40;
      await jest.advanceTimersByTimeAsync(1);
      await next;
      expect(w.commits).toHaveLength(2);
      await batcher.close();
    } finally {
      jest.useRealTimers();
    }
  });

  it('rejects every chunk of a failed transaction, and commits the next ones with a new writer', async () => {
    const writers = [fakeWriter(), fakeWriter()];
    let opened = 0;
    const outcomes: string[] = [];
    const batcher = new TransactionBatcher({
      openWriter: async () => writers[opened++]!.writer,
      groupId: 'g',
      groupMetadata: () => group,
      intervalMs: 0,
      onOutcome: (o) => outcomes.push(o),
    });
    await batcher.open();
    writers[0]!.failNextWith(new Error('broker gone'));
    const results = await Promise.allSettled([batcher.commit(chunk(0, '1')), batcher.commit(chunk(1, '1'))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    await batcher.commit(chunk(0, '1'));
    expect(opened).toBe(2);
    expect(writers[0]!.writer.closed).toBe(1);
    expect(writers[1]!.commits).toHaveLength(1);
    expect(outcomes).toEqual(['failed', 'committed']);
    await batcher.close();
    expect(writers[1]!.writer.closed).toBe(1);
  });

  it('a failure before the send (beforeCommit) fails the whole transaction too', async () => {
    const w = fakeWriter();
    const batcher = new TransactionBatcher({
      openWriter: async () => w.writer,
      groupId: 'g',
      groupMetadata: () => group,
      intervalMs: 0,
      beforeCommit: () => {
        throw new Error('injected');
      },
    });
    await expect(batcher.commit(chunk(0, '1'))).rejects.toThrow('injected');
    expect(w.commits).toHaveLength(0);
    await batcher.close();
  });

  it('close commits what waits, then refuses new chunks', async () => {
    const w = fakeWriter();
    const batcher = new TransactionBatcher({ openWriter: async () => w.writer, groupId: 'g', groupMetadata: () => group, intervalMs: 10_000 });
    await batcher.commit(chunk(0, '1'));
    const waiting = batcher.commit(chunk(0, '2')); // would wait 10 s for its turn
    await batcher.close();
    await waiting;
    expect(w.commits).toHaveLength(2);
    await expect(batcher.commit(chunk(0, '3'))).rejects.toThrow('closed');
  });

  describe('handOver (reading goes on while chunks commit)', () => {
    const handed = (partition: number, firstOffset: string, nextOffset: string, log: string[], generationId = 7): ChunkCommit => ({
      ...chunk(partition, nextOffset),
      firstOffset,
      group: { ...group, generationId },
      onCommitted: () => log.push(`committed ${partition}@${nextOffset}`),
    });

    it('lets the caller go on at once, or while a transaction is in flight once that one ended, not its own', async () => {
      const w = fakeWriter();
      const log: string[] = [];
      const batcher = new TransactionBatcher({ openWriter: async () => w.writer, groupId: 'g', groupMetadata: () => undefined, intervalMs: 0 });
      await batcher.open();
      w.holdCommits();
      await batcher.handOver(handed(0, '0', '10', log)); // nothing in flight: at once
      await new Promise((r) => setTimeout(r, 5)); // its transaction starts and is held
      let second = false;
      const next = batcher.handOver(handed(0, '10', '20', log)).then(() => (second = true));
      await new Promise((r) => setTimeout(r, 5));
      expect(second).toBe(false); // waits for the transaction ahead of it
      w.releaseCommit();
      await next;
      expect(log[0]).toBe('committed 0@10');
      await batcher.close();
      expect(log).toEqual(['committed 0@10', 'committed 0@20']);
      expect(w.commits.map((c) => c.offsets.group?.generationId)).toEqual([7, 7]);
    });

    it('a failed transaction drops its chunks and every chunk handed over after them, and never reports them committed', async () => {
      const writers = [fakeWriter(), fakeWriter()];
      let opened = 0;
      const log: string[] = [];
      const dropped: Array<{ chunks: ChunkCommit[]; err: unknown }> = [];
      const batcher = new TransactionBatcher({
        openWriter: async () => writers[opened++]!.writer,
        groupId: 'g',
        groupMetadata: () => undefined,
        intervalMs: 0,
        onDropped: (chunks, err) => dropped.push({ chunks: [...chunks], err }),
      });
      await batcher.open();
      writers[0]!.holdCommits();
      writers[0]!.failNextWith(new Error('broker gone'));
      await batcher.handOver(handed(0, '0', '10', log));
      await new Promise((r) => setTimeout(r, 5));
      const after = [batcher.handOver(handed(0, '10', '20', log)), batcher.handOver(handed(1, '5', '9', log))];
      writers[0]!.releaseCommit();
      await Promise.all(after); // the callers are let go: the drop is reported, not thrown
      expect(dropped).toHaveLength(1);
      expect(dropped[0]!.chunks.map((c) => `${c.partition}:${c.firstOffset}`)).toEqual(['0:0', '0:10', '1:5']);
      expect((dropped[0]!.err as Error).message).toBe('broker gone');
      // What comes next commits with a new writer.
      await batcher.handOver(handed(0, '0', '10', log));
      await batcher.close();
      expect(log).toEqual(['committed 0@10']);
      expect(writers[1]!.commits).toHaveLength(1);
    });

    it('never mixes generations in one transaction: chunks processed after a rebalance wait for the next', async () => {
      const w = fakeWriter();
      const log: string[] = [];
      const batcher = new TransactionBatcher({ openWriter: async () => w.writer, groupId: 'g', groupMetadata: () => undefined, intervalMs: 10_000 });
      await batcher.open();
      void batcher.handOver(handed(0, '0', '10', log, 7));
      void batcher.handOver(handed(1, '0', '4', log, 8));
      await batcher.close();
      expect(w.commits.map((c) => [c.offsets.group?.generationId, c.offsets.partitions.map((p) => p.partition)])).toEqual([
        [7, [0]],
        [8, [1]],
      ]);
    });
  });
});

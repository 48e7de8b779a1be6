import type { ConsumedRecord, Rejection } from '@telltale/kafka';
import type { WriteResult } from './table-writer';

interface Waiting<T> {
  records: Array<ConsumedRecord<T>>;
  resolve: (result: WriteResult) => void;
  reject: (err: unknown) => void;
}

/**
 * Merges the batches that partitions handled side by side hand to one table into one insert: a batch that arrives
 * while the table's insert is in flight goes into the next one, with every other batch that arrived meanwhile. Each
 * caller gets back its own part of the result (its rows inserted, its rows refused) or the insert's error.
 * NOTE: the embedded ClickHouse runs one statement at a time and each insert makes a part to merge later, so its cost
 * follows the number of inserts more than their rows; a fetch of 3 partitions of 5 topics made up to 15 inserts.
 */
export class MergedInserts<T> {
  private waiting: Array<Waiting<T>> = [];
  private inFlight = false;

  constructor(private readonly write: (records: Array<ConsumedRecord<T>>) => Promise<WriteResult>) {}

  insert(records: Array<ConsumedRecord<T>>): Promise<WriteResult> {
    return new Promise<WriteResult>((resolve, reject) => {
      this.waiting.push({ records, resolve, reject });
      if (!this.inFlight) queueMicrotask(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    if (this.inFlight || this.waiting.length === 0) return;
    this.inFlight = true;
    const batch = this.waiting;
    this.waiting = [];
    try {
      const result = await this.write(batch.flatMap((w) => w.records));
      const rejectedBySource = new Map<string, Rejection>();
      for (const r of result.rejected) rejectedBySource.set(sourceKey(r.source?.topic, r.source?.partition, r.source?.offset), r);
      for (const w of batch) {
        const mine = w.records.flatMap((rec) => rejectedBySource.get(sourceKey(rec.topic, rec.partition, rec.offset)) ?? []);
        w.resolve({ inserted: w.records.length - mine.length, rejected: mine });
      }
    } catch (err) {
      for (const w of batch) w.reject(err);
    } finally {
      this.inFlight = false;
      if (this.waiting.length > 0) void this.flush();
    }
  }
}

function sourceKey(topic: string | undefined, partition: number | undefined, offset: string | undefined): string {
  return `${topic}\u0000${partition}\u0000${offset}`;
}

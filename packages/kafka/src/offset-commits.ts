export interface PartitionOffset {
  topic: string;
  partition: number;
  /** The next offset to consume. */
  offset: string;
}

/**
 * Merges the offset commits that partitions handled side by side ask for at about the same time into one request:
 * a commit asked for while another is in flight goes out with the others asked for meanwhile, once it returns.
 * NOTE: the broker's cost is per request (measured: each costs it about a millisecond of CPU on 2 cores, whatever it
 * holds), and a consumer of 3 partitions of 5 topics asked for up to 15 commits per fetch.
 */
export class OffsetCommits {
  private pending = new Map<string, { offset: PartitionOffset; waiters: Array<{ resolve: () => void; reject: (err: unknown) => void }> }>();
  private inFlight: Promise<void> | undefined;

  constructor(private readonly send: (offsets: PartitionOffset[]) => Promise<void>) {}

  /** Resolves once a request holding this offset (or a later one of the same partition) was acknowledged. */
  commit(offset: PartitionOffset): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const key = `${offset.topic}\u0000${offset.partition}`;
      const entry = this.pending.get(key);
      if (entry) {
        if (BigInt(offset.offset) > BigInt(entry.offset.offset)) entry.offset = offset;
        entry.waiters.push({ resolve, reject });
      } else {
        this.pending.set(key, { offset, waiters: [{ resolve, reject }] });
      }
      // A microtask later, so that commits asked for in the same turn (partitions whose chunks ended together) share it.
      if (!this.inFlight) queueMicrotask(() => this.flush());
    });
  }

  private flush(): void {
    if (this.inFlight || this.pending.size === 0) return;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    this.inFlight = this.send(batch.map((e) => e.offset)).then(
      () => batch.forEach((e) => e.waiters.forEach((w) => w.resolve())),
      (err: unknown) => batch.forEach((e) => e.waiters.forEach((w) => w.reject(err))),
    );
    void this.inFlight.finally(() => {
      this.inFlight = undefined;
      this.flush();
    });
  }
}

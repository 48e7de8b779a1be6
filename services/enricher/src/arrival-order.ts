/**
 * The keys of a Map in the order they were last set, oldest first, with O(1) amortised `oldest()`.
 *
 * TRICKY: V8 keeps a Map's deleted entries as holes until the table is rebuilt, and an iterator starts at the first
 * slot: `map.keys().next()` after deleting from the front skips every hole before the first live entry. Used as a
 * FIFO (forget the oldest, add the newest, the size steady) that cost 125-167 µs per event at 100k-500k entries
 * (Node 24), so a full state made the enricher several times slower per event. Here the order lives in two arrays
 * read from a moving head; an entry is live while the map still holds the same value (`current`), so a key set again
 * leaves a stale entry behind, skipped, and the arrays are compacted when stale entries outnumber live ones.
 */
export class ArrivalOrder<V> {
  private keys: string[] = [];
  private values: V[] = [];
  private head = 0;

  constructor(
    /** The map's current value of a key (undefined once deleted). */
    private readonly current: (key: string) => V | undefined,
    /** How many keys the map holds. */
    private readonly size: () => number,
  ) {}

  /** Call after the map set `key` to `value`: it is now the newest. */
  added(key: string, value: V): void {
    this.keys.push(key);
    this.values.push(value);
    if (this.keys.length - this.head > 2 * this.size() + 1024) this.compact();
  }

  /** The oldest live key and its value, or undefined when the map is empty. */
  oldest(): [string, V] | undefined {
    while (this.head < this.keys.length) {
      const key = this.keys[this.head]!;
      const value = this.values[this.head]!;
      if (this.current(key) === value) return [key, value];
      this.head += 1;
    }
    return undefined;
  }

  private compact(): void {
    const keys: string[] = [];
    const values: V[] = [];
    for (let i = this.head; i < this.keys.length; i++) {
      const key = this.keys[i]!;
      const value = this.values[i]!;
      if (this.current(key) === value) {
        keys.push(key);
        values.push(value);
      }
    }
    this.keys = keys;
    this.values = values;
    this.head = 0;
  }
}

import { topicsFor, type EnricherStateEntry } from '@telltale/contracts';
import { MessageWindow, messageFingerprint } from './message-window';
import { MAX_BLOCK_MESSAGES, PartitionState, type PartitionStateLimits, type StateChange } from './partition-state';

/** A small deterministic generator, so that a failure can be replayed. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('messageFingerprint', () => {
  it('is the first 8 bytes of the SHA-256 of the id (what other readers of the changelog can compute)', () => {
    // sha256("abc") = ba7816bf 8f01cfea ...
    expect(messageFingerprint('abc')).toEqual({ hi: 0xba7816bf, lo: 0x8f01cfea });
  });
});

describe('MessageWindow', () => {
  it('agrees with a Map kept in arrival order through adds, re-adds and drops from the front, across growth', () => {
    const next = random(7);
    const window = new MessageWindow();
    // The model: fingerprint → receivedAt, in arrival order (a re-added key moves to the end).
    const model = new Map<string, number>();
    const keyOf = (hi: number, lo: number) => `${hi}:${lo}`;
    const ids = Array.from({ length: 3000 }, (_, i) => messageFingerprint(`id-${i}`));
    let largest = 0;
    for (let step = 0; step < 60_000; step++) {
      const r = next();
      if (r < 0.6 || model.size === 0) {
        // Mostly new ids, sometimes one already held (a re-add kills its earlier entry).
        const fp = ids[Math.floor(next() * ids.length)]!;
        window.add(fp.hi, fp.lo, step);
        model.delete(keyOf(fp.hi, fp.lo));
        model.set(keyOf(fp.hi, fp.lo), step);
      } else {
        const oldest = window.oldest()!;
        const [modelKey, modelAt] = model.entries().next().value!;
        expect([keyOf(oldest.hi, oldest.lo), oldest.receivedAt]).toEqual([modelKey, modelAt]);
        window.dropOldest();
        model.delete(modelKey);
      }
      expect(window.size).toBe(model.size);
      largest = Math.max(largest, model.size);
    }
    for (const fp of ids) expect(window.receivedAt(fp.hi, fp.lo)).toBe(model.get(keyOf(fp.hi, fp.lo)));
    expect(largest).toBeGreaterThan(1024); // the ring grew past its first size
  });

  it('keeps hundreds of thousands of messages in typed arrays of a few dozen bytes each', () => {
    const window = new MessageWindow();
    for (let i = 0; i < 300_000; i++) window.add(i * 2654435761, i, i);
    expect(window.size).toBe(300_000);
    expect(window.allocatedBytes / window.size).toBeLessThan(50);
  });
});

const LIMITS: PartitionStateLimits = { dedupeWindowMs: 60_000, dedupeCapacity: 500, maxVisitors: 1000 };

/** What log compaction leaves of a changelog: each key's last record at its place, tombstones gone. */
function compacted(changelog: StateChange[]): StateChange[] {
  const last = new Map<string, number>();
  changelog.forEach((c, i) => last.set(c.key, i));
  return changelog.filter((c, i) => last.get(c.key) === i && c.value !== null);
}

function restored(changelog: StateChange[], limits = LIMITS): PartitionState {
  const codec = topicsFor().enricherState.codec;
  const state = new PartitionState(limits);
  // Through Avro, as the enricher reads it.
  for (const { key, value } of changelog) state.restore(key, value && codec.decode(codec.encode(value)));
  return state;
}

/** Which of `ids` the state takes for duplicates. */
const duplicatesAmong = (state: PartitionState, ids: string[]) => ids.filter((id) => state.isDuplicate(id));

describe('PartitionState de-duplication window on the changelog', () => {
  it('writes a block per takeChanges (not a record per message), split to stay small', () => {
    const state = new PartitionState({ ...LIMITS, dedupeCapacity: 100_000 });
    for (let i = 0; i < MAX_BLOCK_MESSAGES + 10; i++) state.rememberMessage(`id-${i}`, 1000 + i);
    const changes = state.takeChanges();
    expect(changes.map((c) => c.key)).toEqual(['mb:0', `mb:${MAX_BLOCK_MESSAGES}`, 'mw']);
    expect(changes[0]!.value!.messages!.fingerprints.length).toBe(MAX_BLOCK_MESSAGES * 8);
  });

  it('restores exactly the window it wrote, before and after log compaction, whatever the capacity and window forgot', () => {
    const next = random(11);
    const state = new PartitionState(LIMITS);
    const changelog: StateChange[] = [];
    const ids: string[] = [];
    let receivedAt = 1_000_000;
    for (let take = 0; take < 200; take++) {
      for (let i = Math.floor(next() * 20); i > 0; i--) {
        receivedAt += Math.floor(next() * 400);
        // Now and then an id again (a retry after its window, or a late one): it moves to the newest place.
        const id = next() < 0.05 && ids.length > 0 ? ids[Math.floor(next() * ids.length)]! : `id-${ids.length}`;
        if (!ids.includes(id)) ids.push(id);
        if (!state.isDuplicate(id)) state.rememberMessage(id, receivedAt);
      }
      changelog.push(...state.takeChanges());
    }
    const expected = duplicatesAmong(state, ids);
    expect(expected.length).toBeGreaterThan(50);
    expect(expected.length).toBeLessThan(ids.length);
    for (const log of [changelog, compacted(changelog)]) {
      const again = restored(log);
      expect(again.messageCount).toBe(state.messageCount);
      expect(again.estimatedBytes).toBe(state.estimatedBytes);
      expect(duplicatesAmong(again, ids)).toEqual(expected);
    }
    // Compaction really shrank it: passed blocks were tombstoned.
    expect(compacted(changelog).length).toBeLessThan(changelog.length / 2);
  });

  it('goes on from a restore as if never stopped: the next blocks, head and tombstones are the ones it would have written', () => {
    const run = (restoreAt: number | null) => {
      let state = new PartitionState(LIMITS);
      const changelog: StateChange[] = [];
      for (let take = 0; take < 60; take++) {
        if (take === restoreAt) state = restored(changelog);
        for (let i = 0; i < 15; i++) state.rememberMessage(`id-${take}-${i}`, 1_000_000 + take * 1500 + i);
        changelog.push(...state.takeChanges());
      }
      return changelog;
    };
    const straight = run(null);
    const withRestore = run(30);
    expect(withRestore.map((c) => c.key)).toEqual(straight.map((c) => c.key));
    expect(withRestore.length).toBeGreaterThan(0);
  });

  it('converts a changelog written one m: key per message: same duplicates, and every m: key tombstoned with blocks in the same changes', () => {
    const legacy: StateChange[] = [];
    const entry = (seenReceivedAt: number | null): EnricherStateEntry => ({ visitor: null, seenReceivedAt, messages: null, window: null });
    for (let i = 0; i < 30; i++) legacy.push({ key: `m:old-${i}`, value: entry(1_000_000 + i) });
    legacy.push({ key: 'm:old-3', value: null }); // forgotten by the old version
    const state = restored(legacy);
    expect(duplicatesAmong(state, ['old-0', 'old-3', 'old-29', 'never'])).toEqual(['old-0', 'old-29']);
    const changes = state.takeChanges();
    const tombstoned = changes.filter((c) => c.key.startsWith('m:') && c.value === null).map((c) => c.key);
    expect(tombstoned).toHaveLength(29);
    expect(changes.some((c) => c.key === 'mb:0')).toBe(true);
    // The converted changelog alone (old keys compacted away) restores the same window.
    const after = restored(compacted([...legacy, ...changes]));
    expect(duplicatesAmong(after, ['old-0', 'old-3', 'old-29', 'never'])).toEqual(['old-0', 'old-29']);
  });
});

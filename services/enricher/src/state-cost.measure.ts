// Measures what the enricher's durable state costs: changelog bytes and memory per visitor and per remembered
// message (run once with 0 messages per visitor and once with some: the difference is the messages' share), and the time to restore one partition (fence + read the changelog + rebuild). Writes a throw-away
// changelog under its own topic prefix on KAFKA_BROKERS, then deletes it.
//   KAFKA_BROKERS=127.0.0.1:19092 node --expose-gc --import tsx services/enricher/src/state-cost.measure.ts [visitors] [messagesPerVisitor] [keptEventsPerVisitor]
// keptEventsPerVisitor: the session events each visitor keeps for late events (default 7, all of its session's;
// 16, RECENT_EVENTS_CAP, is the worst case at the default cap).
import { randomUUID } from 'node:crypto';
import { topicsFor, type SessionEventKind, type VisitorState } from '@telltale/contracts';
import { createKafkaClient, ensureTopics, openTransactionWriter, readPartition, type TransactionRecord } from '@telltale/kafka';
import { createLogger } from '@telltale/runtime';
import { PartitionState } from './partition-state';

const visitors = Number(process.argv[2] ?? 100_000);
const messagesPerVisitor = Number(process.argv[3] ?? 0);
const keptEventsPerVisitor = Number(process.argv[4] ?? 7);
const KINDS: SessionEventKind[] = ['page_view', 'click', 'page_view', 'search', 'add_to_cart', 'other'];
const limits = { dedupeWindowMs: 86_400_000, dedupeCapacity: 10_000_000, maxVisitors: 10_000_000 };

function visitorState(i: number): VisitorState {
  return {
    sessionId: randomUUID().replace(/-/g, ''),
    startedAt: 1_714_557_600_000 + i,
    lastEventTime: 1_714_557_660_000 + i,
    events: 7,
    pageViews: 3,
    clicks: 2,
    searches: 1,
    addToCarts: 1,
    cartValue: 42.5,
    purchased: false,
    priorSessions: 2,
    priorPurchases: 1,
    linkedUserId: i % 3 === 0 ? `user-${i}` : null,
    landingReferrerClass: 'search',
    recentEvents: Array.from({ length: keptEventsPerVisitor }, (_, k) => {
      const kind = KINDS[k % KINDS.length]!;
      return { eventTime: 1_714_557_600_000 + i + k * 4_000, kind, cartAmount: kind === 'add_to_cart' ? 42.5 : null };
    }),
    droppedUpTo: null,
  };
}

/** The JavaScript heap and the typed arrays' backing stores (outside the heap: where the message window lives). */
const heapUsed = () => {
  globalThis.gc?.();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
};

async function main(): Promise<void> {
  if (!globalThis.gc) throw new Error('run with node --expose-gc');
  const logger = createLogger('state-cost', 'warn');
  const client = createKafkaClient({ brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(','), clientId: 'state-cost' }, logger);
  const topics = topicsFor(`measure-${randomUUID().slice(0, 8)}.`);
  await ensureTopics(client, [topics.enricherState]);
  try {
    // The changelog as the enricher writes it, by its own PartitionState: 'v:<anonymousId>' visitors, the messages
    // (UUIDs) in blocks ('mb:'), the window head ('mw'); one takeChanges per 64 visitors, like a chunk of events.
    const writer = await openTransactionWriter(client, `measure-${randomUUID()}`, { requestBudget: 1_000_000, partitionsOf: () => 3 });
    const changelogBytes = { visitors: 0, messages: 0 };
    const source = new PartitionState(limits);
    let batch: TransactionRecord[] = [];
    const flush = async () => {
      for (const change of source.takeChanges()) {
        const value = change.value && topics.enricherState.codec.encode(change.value);
        changelogBytes[change.key.startsWith('v:') ? 'visitors' : 'messages'] += change.key.length + (value?.length ?? 0);
        batch.push({ topic: topics.enricherState.name, partition: 0, key: change.key, value });
      }
      if (batch.length === 0) return;
      await writer.commit(batch, { groupId: `measure-${randomUUID()}`, partitions: [{ topic: topics.enricherState.name, partition: 0, offset: '0' }] });
      batch = [];
    };
    for (let i = 0; i < visitors; i++) {
      source.putVisitor(randomUUID(), visitorState(i));
      for (let m = 0; m < messagesPerVisitor; m++) source.rememberMessage(randomUUID(), 1_714_557_600_000 + i * 10 + m);
      if (i % 64 === 63) await flush();
    }
    await flush();
    await writer.close();

    const before = heapUsed();
    const started = performance.now();
    const state = new PartitionState(limits);
    let firstRecordAt: number | undefined;
    const records = await readPartition(
      client,
      topics.enricherState,
      0,
      (key, value) => {
        firstRecordAt ??= performance.now();
        state.restore(key, value);
      },
      { groupIdPrefix: 'measure-restore' },
    );
    const seconds = (performance.now() - started) / 1000;
    const heapBytes = heapUsed() - before;

    console.log(
      JSON.stringify({
        visitors: state.visitorCount,
        keptEventsPerVisitor,
        messages: state.messageCount,
        records,
        restoreSeconds: Number(seconds.toFixed(2)),
        // Fencing, joining the restore consumer's group and the first fetch: independent of the state's size.
        secondsToFirstRecord: Number((((firstRecordAt ?? started) - started) / 1000).toFixed(2)),
        loadAverage: (await import('node:os')).loadavg()[0],
        changelogBytesPerVisitor: Math.round(changelogBytes.visitors / visitors),
        changelogBytesPerMessage: messagesPerVisitor > 0 ? Math.round(changelogBytes.messages / (visitors * messagesPerVisitor)) : null,
        heapBytesPerVisitorIncludingItsMessages: Math.round(heapBytes / visitors),
      }),
    );
  } finally {
    const admin = client.kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topics.enricherState.name] }).catch(() => undefined);
    await admin.disconnect();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

import { createMetricsRegistry, parseMetricsText } from '@telltale/runtime';
import { consumerMetrics, reasonLabel } from './consumer-metrics';

async function sample(registry: ReturnType<typeof createMetricsRegistry>, name: string, topic: string): Promise<number | undefined> {
  return parseMetricsText(await registry.metrics()).find((s) => s.name === name && s.labels.topic === topic)?.value;
}

describe('end-to-end lag', () => {
  test('is now minus the newest committed receipt time, and grows while nothing newer is committed', async () => {
    const registry = createMetricsRegistry('test');
    const metrics = consumerMetrics(registry);
    const receivedAt = Date.now() - 30_000;
    metrics.committedReceipt('events.clean', receivedAt);
    // An older record committed later (another partition) does not make the stage look fresher or staler.
    metrics.committedReceipt('events.clean', receivedAt - 60_000);

    const first = await sample(registry, 'telltale_kafka_end_to_end_lag_seconds', 'events.clean');
    expect(first).toBeGreaterThanOrEqual(30);
    expect(await sample(registry, 'telltale_kafka_last_committed_receipt_timestamp_seconds', 'events.clean')).toBe(receivedAt / 1000);

    const before = Date.now();
    while (Date.now() - before < 20) await new Promise((r) => setTimeout(r, 5));
    expect(await sample(registry, 'telltale_kafka_end_to_end_lag_seconds', 'events.clean')).toBeGreaterThan(first!);
  });

  test('a second consumer on the same registry shares the gauge (no duplicate-metric error)', async () => {
    const registry = createMetricsRegistry('test');
    consumerMetrics(registry).committedReceipt('a', Date.now());
    consumerMetrics(registry).committedReceipt('b', Date.now());
    expect(await sample(registry, 'telltale_kafka_end_to_end_lag_seconds', 'a')).toBeDefined();
    expect(await sample(registry, 'telltale_kafka_end_to_end_lag_seconds', 'b')).toBeDefined();
  });
});

describe('reasonLabel', () => {
  test.each([
    ['request body exceeds 1048576 bytes (after decompression); send smaller batches', 'request body exceeds N bytes (after decompression); send smaller batches'],
    ['cannot map to a events row: Invalid date "x"', 'cannot map to a events row'],
    ['ClickHouse refused the row for predictions: Code: 27. Cannot parse input', 'ClickHouse refused the row for predictions'],
    ['record of 2000000 bytes refused by the broker as larger than the limit of topic events.raw', 'record of N bytes refused by the broker as larger than the limit of topic events.raw'],
    ['', 'unknown'],
  ])('%s', (reason, label) => {
    expect(reasonLabel(reason)).toBe(label);
  });
});

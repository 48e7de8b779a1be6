import { measureKafkajsFastPaths } from '@telltale/kafka';
import { ratio, timeIt } from './codec.bench';

/** kafkajs's murmur2 and record encoding against packages/kafka's fast paths (same bytes, same partitions), one process. */
export function benchKafkajsFastPaths() {
  const m = measureKafkajsFastPaths((fn) => timeIt(fn, 7));
  const us = (ms: number) => ((ms * 1000) / m.records).toFixed(2);
  console.log(`\n## kafkajs hot spots: its own code (baseline) against the fast paths, ${m.records} records, median of 7`);
  console.log(`partition (murmur2 of a UUID key)  kafkajs ${us(m.partitionMs.kafkajs)} µs/record, fast ${us(m.partitionMs.fast)} µs/record → fast/kafkajs = ${ratio(m.partitionMs.fast, m.partitionMs.kafkajs)}`);
  console.log(`encode a record (200-600 B value)  kafkajs ${us(m.encodeMs.kafkajs)} µs/record, fast ${us(m.encodeMs.fast)} µs/record → fast/kafkajs = ${ratio(m.encodeMs.fast, m.encodeMs.kafkajs)}`);
  return m;
}

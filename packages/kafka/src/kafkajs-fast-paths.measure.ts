import { randomBytes, randomUUID } from 'node:crypto';
import { installEncoderFastPaths, murmur2 } from './kafkajs-fast-paths';

export interface FastPathsMeasurement {
  records: number;
  /** ms as `time` measured them, kafkajs's own code against the fast paths, in the same process. */
  partitionMs: { kafkajs: number; fast: number };
  encodeMs: { kafkajs: number; fast: number };
}

/**
 * kafkajs's murmur2 and record encoding against the fast paths of kafkajs-fast-paths.ts, on records shaped like the
 * enricher's outputs (a UUID key, a 200-600 byte value, now and then a header), for `pnpm bench kafkajs-fast-paths`.
 */
export function measureKafkajsFastPaths(
  /** Times `fn` (ms), e.g. the median of several rounds. */
  time: (fn: () => void) => number,
  records = 50_000,
): FastPathsMeasurement {
  const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2') as (key: Buffer | string) => number;
  const encodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0') as (r: object) => { buffer: Buffer };
  const keys = Array.from({ length: records }, () => randomUUID());
  const batch = keys.map((key, i) => ({
    offsetDelta: i % 500,
    timestampDelta: i % 7,
    key: Buffer.from(key),
    value: randomBytes(200 + (i % 400)),
    headers: i % 10 === 0 ? { 'telltale-explanation': randomBytes(120) } : {},
  }));
  const encodeAll = () => {
    for (const r of batch) encodeRecord(r).buffer;
  };
  installEncoderFastPaths()(); // kafkajs's own writers first, whatever was installed before
  const encodeKafkajs = time(encodeAll);
  // Then the fast paths, left installed: the process's Kafka clients get them anyway (createKafkaClient).
  installEncoderFastPaths();
  const encodeFast = time(encodeAll);
  return {
    records,
    partitionMs: { kafkajs: time(() => keys.forEach((k) => kafkajsMurmur2(k))), fast: time(() => keys.forEach((k) => murmur2(k))) },
    encodeMs: { kafkajs: encodeKafkajs, fast: encodeFast },
  };
}

import { randomBytes, randomUUID } from 'node:crypto';
import { installEncoderFastPaths, murmur2 } from './kafkajs-fast-paths';

export interface FastPathsMeasurement {
  records: number;
  /** Median ms over the rounds, kafkajs's own code against the fast paths, in the same process. */
  partitionMs: { kafkajs: number; fast: number };
  encodeMs: { kafkajs: number; fast: number };
}

function medianMs(fn: () => void, rounds: number): number {
  fn(); // warm up the JIT
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    fn();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return samples.sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;
}

/**
 * kafkajs's murmur2 and record encoding against the fast paths of kafkajs-fast-paths.ts, on records shaped like the
 * enricher's outputs (a UUID key, a 200-600 byte value, now and then a header), for `pnpm bench kafkajs-fast-paths`.
 */
export function measureKafkajsFastPaths(records = 50_000, rounds = 7): FastPathsMeasurement {
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
  const restore = installEncoderFastPaths();
  restore(); // kafkajs's own writers first, whatever was installed before
  const encodeKafkajs = medianMs(encodeAll, rounds);
  const undo = installEncoderFastPaths();
  const encodeFast = medianMs(encodeAll, rounds);
  void undo; // left installed: the process's Kafka clients get them anyway (createKafkaClient)
  return {
    records,
    partitionMs: { kafkajs: medianMs(() => keys.forEach((k) => kafkajsMurmur2(k)), rounds), fast: medianMs(() => keys.forEach((k) => murmur2(k)), rounds) },
    encodeMs: { kafkajs: encodeKafkajs, fast: encodeFast },
  };
}

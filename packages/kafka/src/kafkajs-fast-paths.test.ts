import { randomBytes, randomUUID } from 'node:crypto';
import { createFastDefaultPartitioner, installEncoderFastPaths, murmur2 } from './kafkajs-fast-paths';

const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2') as (key: Buffer | string) => number;
const encodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0') as (r: object) => { buffer: Buffer };
const Encoder = require('kafkajs/src/protocol/encoder') as new () => { writeVarInt(v: number): unknown; writeVarLong(v: unknown): unknown; writeUVarInt(v: number): unknown; buffer: Buffer };

describe('murmur2', () => {
  it("gives kafkajs's hash (Kafka's partitioning) for UUIDs, random bytes of every length, and non-ASCII keys", () => {
    const keys: Array<Buffer | string> = [
      ...Array.from({ length: 2000 }, () => randomUUID()),
      ...Array.from({ length: 64 }, (_, n) => randomBytes(n)),
      'ümlaut-ключ-键',
      '',
    ];
    for (const key of keys) expect(murmur2(key)).toBe(kafkajsMurmur2(key));
  });

  it("partitions as kafkajs's DefaultPartitioner: a key's partition, a given partition", () => {
    const partitioner = createFastDefaultPartitioner();
    const partitionMetadata = [0, 1, 2, 3, 4, 5].map((partitionId) => ({ partitionId, leader: 1 }));
    for (let i = 0; i < 500; i++) {
      const key = randomUUID();
      expect(partitioner({ topic: 't', partitionMetadata, message: { key } })).toBe((kafkajsMurmur2(key) & 0x7fffffff) % 6);
    }
    expect(partitioner({ topic: 't', partitionMetadata, message: { key: 'k', partition: 4 } })).toBe(4);
  });
});

describe('encoder fast paths', () => {
  const values = [0, 1, -1, 63, 64, -64, -65, 127, 128, 300, -300, 16_383, 16_384, 2 ** 21, 2 ** 28, 0x7fffffff, -0x80000000, 2 ** 31, 2 ** 40, -(2 ** 40), Number.MAX_SAFE_INTEGER];
  const records = Array.from({ length: 200 }, (_, i) => ({
    offsetDelta: i,
    timestampDelta: [0, 3, 1000, -5, 2 ** 33][i % 5]!,
    key: Buffer.from(randomUUID()),
    value: randomBytes(i * 7),
    headers: i % 3 === 0 ? { 'telltale-explanation': Buffer.from('x'.repeat(i)) } : {},
  }));

  it("writes the bytes kafkajs's own writers write, for varints, varlongs and whole records", () => {
    const encode = () => ({
      varints: values.filter((v) => Math.abs(v) <= 0x7fffffff).map((v) => (new Encoder().writeVarInt(v) as { buffer: Buffer }).buffer.toString('hex')),
      uvarints: [0, 1, 127, 128, 2 ** 31, 2 ** 32 - 1].map((v) => (new Encoder().writeUVarInt(v) as { buffer: Buffer }).buffer.toString('hex')),
      varlongs: values.map((v) => (new Encoder().writeVarLong(v) as { buffer: Buffer }).buffer.toString('hex')),
      records: records.map((r) => encodeRecord(r).buffer.toString('hex')),
    });
    const theirs = encode();
    const restore = installEncoderFastPaths();
    try {
      expect(encode()).toEqual(theirs);
    } finally {
      restore();
    }
  });
});

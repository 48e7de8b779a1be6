/**
 * Two of kafkajs 2.2.4's hot spots on the produce path, replaced by code that gives the same bytes and partitions:
 * - murmur2 (the default partitioner's key hash, Kafka's own) emulates 64-bit integers with a Long object per
 *   operation; the same 32-bit arithmetic with Math.imul. Its murmur2 and Long.multiply were 5-6 % of the enricher's,
 *   the scorer's and the collector's profiles.
 * - every varint of a record (5 per record) was written by building a byte array and a Buffer from it; written in
 *   place into the encoder's buffer instead. Buffer construction (FastBuffer) was 9-12 % of the same profiles.
 * Installed once per process with the other kafkajs patches (createKafkaClient); `encoding.test.ts` checks the
 * bytes and partitions against kafkajs's own on random input.
 */

interface EncoderLike {
  buf: Buffer;
  offset: number;
  ensureAvailable(length: number): void;
  writeUVarInt(value: number): EncoderLike;
  writeVarLong(value: unknown): EncoderLike;
}

type Partitioner = (args: { topic: string; partitionMetadata: Array<{ partitionId: number; leader: number }>; message: { key?: Buffer | string | null; partition?: number | null } }) => number;

const M = 0x5bd1e995;

/** Kafka's murmur2 of a record key (what the Java client and kafkajs partition by), as a signed 32-bit integer. */
export function murmur2(key: Buffer | string): number {
  const data = Buffer.isBuffer(key) ? key : Buffer.from(String(key));
  const length = data.length;
  let h = 0x9747b28c ^ length;
  const length4 = length >>> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = data[i4]! | (data[i4 + 1]! << 8) | (data[i4 + 2]! << 16) | (data[i4 + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const tail = length & ~3;
  const rest = length & 3;
  if (rest === 3) h ^= data[tail + 2]! << 16;
  if (rest >= 2) h ^= data[tail + 1]! << 8;
  if (rest >= 1) h = Math.imul(h ^ data[tail]!, M);
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/**
 * kafkajs's DefaultPartitioner (a given partition, else murmur2 of the key over all partitions, else round robin
 * over the available ones), built by kafkajs's own factory around the murmur2 above.
 */
export function createFastDefaultPartitioner(): Partitioner {
  // NOTE: a plain require, so that test runners with their own module registry use the kafkajs the code uses.
  const factory = require('kafkajs/src/producer/partitioners/legacy/partitioner') as (hash: (key: Buffer | string) => number) => () => Partitioner;
  return factory(murmur2)();
}

const OTHER_BITS = 0x7f;
const MOST_SIGNIFICANT_BIT = 0x80;

function writeUVarInt(this: EncoderLike, value: number): EncoderLike {
  this.ensureAvailable(5);
  const buf = this.buf;
  let offset = this.offset;
  let v = value;
  // The loop of kafkajs's own (unsigned 32-bit LEB128), written into the buffer instead of an array.
  while ((v & 0xffffff80) !== 0) {
    buf[offset++] = (v & OTHER_BITS) | MOST_SIGNIFICANT_BIT;
    v >>>= 7;
  }
  buf[offset++] = v & OTHER_BITS;
  this.offset = offset;
  return this;
}

let original: { writeUVarInt: EncoderLike['writeUVarInt']; writeVarLong: EncoderLike['writeVarLong'] } | undefined;

/**
 * Installs the in-place varint writers on kafkajs's Encoder; returns a function that puts kafkajs's own back (the
 * bench measures both in one process).
 */
export function installEncoderFastPaths(): () => void {
  const Encoder = require('kafkajs/src/protocol/encoder') as { prototype: EncoderLike };
  if (!original) {
    const own = { writeUVarInt: Encoder.prototype.writeUVarInt, writeVarLong: Encoder.prototype.writeVarLong };
    original = own;
    Encoder.prototype.writeUVarInt = writeUVarInt;
    Encoder.prototype.writeVarLong = function (this: EncoderLike, value: unknown): EncoderLike {
      // A record's timestamp delta: a small number. Its 64-bit zigzag fits 32 bits when the number does.
      if (typeof value === 'number' && Number.isInteger(value) && value >= -0x80000000 && value <= 0x7fffffff) {
        return writeUVarInt.call(this, ((value << 1) ^ (value >> 31)) >>> 0);
      }
      return own.writeVarLong.call(this, value);
    };
  }
  return () => {
    if (!original) return;
    Encoder.prototype.writeUVarInt = original.writeUVarInt;
    Encoder.prototype.writeVarLong = original.writeVarLong;
    original = undefined;
  };
}

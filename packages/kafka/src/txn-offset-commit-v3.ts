/**
 * Zombie fencing by consumer group generation (KIP-447) for kafkajs, which speaks TxnOffsetCommit v0-v1 only.
 *
 * Why: before KIP-447 the only way to stop a stale owner of an input partition (a member expelled during a long
 * pause that wakes up and commits) was one transactional id per input partition, so one Kafka transaction per input
 * partition and commit. A transaction costs this broker ~5-10 ms of CPU however many partitions it spans (measured
 * with the enricher's records), so the enricher's cost on the broker grew with its partition count. TxnOffsetCommit
 * v3 carries the consumer's generation and member id; the group coordinator refuses it (ILLEGAL_GENERATION,
 * UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID) once the group has moved on, and a transaction whose offsets are refused is
 * aborted. So one transactional producer per instance can commit all its partitions at once: Kafka Streams'
 * exactly-once v2.
 *
 * How: kafkajs picks the highest request version both sides implement from `requests.TxnOffsetCommit.versions`, and
 * builds the request from the five fields its Broker passes on. This module adds version 3 to that table (Kafka
 * brokers since 2.5 accept it) and takes the generation and member id from `withGroupMetadata`, which the caller wraps
 * around its `sendOffsets` call. Without group metadata, v3 is sent with generation -1 and an empty member id, which
 * the coordinator treats like v1 (no generation check).
 * TRICKY: v3 is a flexible version: its request header carries tagged fields after the client id and its response
 * header after the correlation id. kafkajs writes and reads the v1 headers, so the body starts with the empty tagged
 * fields of the header (as kafkajs's own flexible requests do) and the response decoder skips them.
 */

export interface GroupMetadata {
  groupId: string;
  generationId: number;
  memberId: string;
}

/** A module of kafkajs's own (not its public API): this file is where the repo depends on kafkajs 2.2.4's insides. */
function requireKafkajs(path: string): unknown {
  // NOTE: a plain require, so that test runners with their own module registry patch the kafkajs the code uses.
  return require(`kafkajs/${path.replace(/^\.\//, '')}`);
}

interface Encoder {
  writeInt16(v: number): Encoder;
  writeInt32(v: number): Encoder;
  writeInt64(v: string | number): Encoder;
  writeUVarInt(v: number): Encoder;
  writeUVarIntString(v: string | null): Encoder;
  writeUVarIntArray(v: Encoder[]): Encoder;
}
interface Decoder {
  readInt16(): number;
  readInt32(): number;
  readUVarIntString(): string;
  readUVarIntArray<T>(reader: (d: Decoder) => T): T[];
  readTaggedFields(): unknown;
}

const EncoderClass = requireKafkajs('./src/protocol/encoder') as new () => Encoder;
const DecoderClass = requireKafkajs('./src/protocol/decoder') as new (data: Buffer) => Decoder;
const { failure, createErrorFromCode } = requireKafkajs('./src/protocol/error') as {
  failure: (code: number) => boolean;
  createErrorFromCode: (code: number) => Error;
};
const apiKeys = requireKafkajs('./src/protocol/requests/apiKeys') as { TxnOffsetCommit: number };
const definition = requireKafkajs('./src/protocol/requests/txnOffsetCommit') as {
  versions: string[];
  protocol: (args: { version: number }) => unknown;
};

interface OffsetTopic {
  topic: string;
  partitions: Array<{ partition: number; offset: string; metadata?: string | null }>;
}
interface RequestArgs {
  transactionalId: string;
  groupId: string;
  producerId: string | number;
  producerEpoch: number;
  topics: OffsetTopic[];
}

/** The group metadata of the sendOffsets call in progress, per transactional id (kafkajs's call is async). */
const pending = new Map<string, GroupMetadata>();

/**
 * Runs `sendOffsets` (a kafkajs transaction's) with TxnOffsetCommit v3 carrying `metadata`, so the coordinator
 * refuses the offsets when this member is no longer in `metadata.generationId` of the group.
 */
export async function withGroupMetadata<T>(transactionalId: string, metadata: GroupMetadata, sendOffsets: () => Promise<T>): Promise<T> {
  installTxnOffsetCommitV3();
  pending.set(transactionalId, metadata);
  try {
    return await sendOffsets();
  } finally {
    pending.delete(transactionalId);
  }
}

let installed = false;

/** Adds TxnOffsetCommit v3 to kafkajs's request table (once). */
export function installTxnOffsetCommitV3(): void {
  if (installed) return;
  installed = true;
  const v1 = definition.protocol;
  definition.protocol = ({ version }) => (version === 3 ? txnOffsetCommitV3 : v1({ version }));
  if (!definition.versions.includes('3')) definition.versions.push('3');
}

function txnOffsetCommitV3(args: RequestArgs) {
  const meta = pending.get(args.transactionalId);
  // NOTE: -1 and '' mean "no generation to check", as a v0-v2 request (the coordinator's own rule).
  const generationId = meta && meta.groupId === args.groupId ? meta.generationId : -1;
  const memberId = meta && meta.groupId === args.groupId ? meta.memberId : '';
  return {
    request: {
      apiKey: apiKeys.TxnOffsetCommit,
      apiVersion: 3,
      apiName: 'TxnOffsetCommit',
      encode: async () =>
        new EncoderClass()
          .writeUVarInt(0) // request header v2: its tagged fields (kafkajs wrote the rest of the header)
          .writeUVarIntString(args.transactionalId)
          .writeUVarIntString(args.groupId)
          .writeInt64(args.producerId)
          .writeInt16(args.producerEpoch)
          .writeInt32(generationId)
          .writeUVarIntString(memberId)
          .writeUVarIntString(null) // group_instance_id: static membership is not used
          .writeUVarIntArray(args.topics.map(encodeTopic))
          .writeUVarInt(0),
    },
    response: { decode: decodeResponse, parse: parseResponse },
  };
}

function encodeTopic(t: OffsetTopic): Encoder {
  return new EncoderClass()
    .writeUVarIntString(t.topic)
    .writeUVarIntArray(
      t.partitions.map((p) =>
        new EncoderClass()
          .writeInt32(p.partition)
          .writeInt64(p.offset)
          .writeInt32(-1) // committed_leader_epoch: unknown
          .writeUVarIntString(p.metadata ?? null)
          .writeUVarInt(0),
      ),
    )
    .writeUVarInt(0);
}

interface DecodedResponse {
  throttleTime: number;
  topics: Array<{ topic: string; partitions: Array<{ partition: number; errorCode: number }> }>;
}

/** Exported for tests: the v3 response body as kafkajs hands it over (after the correlation id). */
export async function decodeResponse(raw: Buffer): Promise<DecodedResponse> {
  const d = new DecoderClass(raw);
  d.readTaggedFields(); // response header v1: its tagged fields
  const throttleTime = d.readInt32();
  const topics = d.readUVarIntArray((t) => {
    const topic = t.readUVarIntString();
    const partitions = t.readUVarIntArray((p) => {
      const partition = { partition: p.readInt32(), errorCode: p.readInt16() };
      p.readTaggedFields();
      return partition;
    });
    t.readTaggedFields();
    return { topic, partitions };
  });
  d.readTaggedFields();
  return { throttleTime, topics };
}

async function parseResponse(data: DecodedResponse): Promise<DecodedResponse> {
  for (const t of data.topics) {
    for (const p of t.partitions) if (failure(p.errorCode)) throw createErrorFromCode(p.errorCode);
  }
  return data;
}

const consumerGroupModule = requireKafkajs('./src/consumer/consumerGroup') as { prototype: Record<string, unknown> };
const generations = new Map<string, number>();
let joinPatched = false;

/**
 * The generation a member joined with, recorded by every kafkajs consumer group on join (kafkajs reports the member
 * id on GROUP_JOIN but not the generation). Undefined until `recordGenerations` ran before the join.
 */
export function generationOf(memberId: string): number | undefined {
  return generations.get(memberId);
}

export function forgetMember(memberId: string): void {
  generations.delete(memberId);
}

/**
 * Makes kafkajs consumer groups record their generation per member id on every join. TRICKY: kafkajs sets
 * `generationId` and `memberId` on its ConsumerGroup in join and emits GROUP_JOIN from `joinAndSync` right after; the
 * wrapper reads them when isLeader() is asked for the event's payload, i.e. before any listener of GROUP_JOIN runs.
 */
export function recordGenerations(): void {
  if (joinPatched) return;
  joinPatched = true;
  const proto = consumerGroupModule.prototype;
  const isLeader = proto.isLeader as (this: { generationId: number | null; memberId: string | null }) => boolean;
  proto.isLeader = function (this: { generationId: number | null; memberId: string | null }) {
    if (this.memberId && typeof this.generationId === 'number') generations.set(this.memberId, this.generationId);
    return isLeader.call(this);
  };
}

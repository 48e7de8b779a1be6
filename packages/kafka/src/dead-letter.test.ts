import { topicsFor } from '@telltale/contracts';
import type { AvroProducer, EncodedRecord } from './avro-producer';
import { DeadLetterPublisher } from './dead-letter';
import { recordBytes } from './produce-request-plan';

const topics = topicsFor('t.');
const LIMIT = 4000;

/** The sizing a producer with a LIMIT-byte record budget reports, and what it was asked to send. */
function publisherWithLimit() {
  const sent: EncodedRecord[] = [];
  const producer = {
    maxRecordBytes: () => LIMIT,
    sendEncoded: async (_topic: string, messages: EncodedRecord[]) => void sent.push(...messages),
  } as unknown as AvroProducer;
  return { publisher: new DeadLetterPublisher(producer, topics, 'enricher'), sent };
}

const source = { topic: 't.events.raw', partition: 2, offset: '41' };

describe('DeadLetterPublisher', () => {
  it('sends a dead letter that fits as it is', async () => {
    const { publisher, sent } = publisherWithLimit();
    await publisher.publish([{ reason: 'required for purchase events', field: 'properties.revenue', payload: Buffer.from('abc'), key: 'u', source }]);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.headers).toEqual({ stage: 'enricher', reason: 'required for purchase events', original_topic: 't.events.raw' });
    expect(topics.deadLetters.codec.decode(sent[0]!.value)).toMatchObject({ payload: Buffer.from('abc'), sourceOffset: 41, field: 'properties.revenue' });
  });

  it('cuts a payload too large to carry whole, as little as it must, and says so in the reason and a header', async () => {
    const { publisher, sent } = publisherWithLimit();
    const payload = Buffer.from('p'.repeat(50_000));
    await publisher.publish([{ reason: 'record of 50100 bytes exceeds the 3000-byte limit of topic t.events.clean', payload, key: 'u', source }]);
    const [message] = sent;
    expect(recordBytes(message!.key, message!.value, message!.headers)).toBeLessThanOrEqual(LIMIT);
    expect(message!.headers).toMatchObject({ payload_truncated: '50000' });
    const letter = topics.deadLetters.codec.decode(message!.value);
    expect(letter.reason).toBe("record of 50100 bytes exceeds the 3000-byte limit of topic t.events.clean (payload truncated from 50000 bytes to fit the topic's limit)");
    expect(payload.subarray(0, letter.payload.length).equals(letter.payload)).toBe(true);
    // Nearly all the room goes to the payload (the bytes length varint is the only slack).
    expect(LIMIT - recordBytes(message!.key, message!.value, message!.headers)).toBeLessThanOrEqual(4);
  });

  it('shortens a pathological reason and key when not even an empty payload would fit', async () => {
    const { publisher, sent } = publisherWithLimit();
    await publisher.publish([{ reason: 'r'.repeat(10_000), field: 'f'.repeat(3000), payload: Buffer.alloc(100), key: 'k'.repeat(3000), source }]);
    const [message] = sent;
    expect(recordBytes(message!.key, message!.value, message!.headers)).toBeLessThanOrEqual(LIMIT);
    const letter = topics.deadLetters.codec.decode(message!.value);
    expect(letter.reason).toBe(`${'r'.repeat(1000)} (payload truncated from 100 bytes to fit the topic's limit)`);
    expect(message!.headers).toMatchObject({ payload_truncated: '100' });
    expect(letter.key).toHaveLength(256);
    expect(message!.key).toBe(letter.key);
  });
});

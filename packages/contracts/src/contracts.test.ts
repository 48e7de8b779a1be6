import { readFileSync } from 'node:fs';
import avro from 'avsc';
import { GENERATED_TYPES_PATH, generateTypes } from './generate-types';
import { AvroCodecError, listSchemaFiles, rabinFingerprint, topicsFor, type RawEvent } from './index';

const rawEvent: RawEvent = {
  messageId: 'm-1',
  type: 'track',
  event: 'Product Added',
  userId: 'u-1',
  anonymousId: null,
  timestamp: 1_700_000_000_000,
  sentAt: null,
  receivedAt: 1_700_000_000_500,
  properties: JSON.stringify({ price: 9.5 }),
  context: '{}',
  source: 'http',
};

describe('generated types', () => {
  it('match schemas/*.avsc (run `pnpm --filter @telltale/contracts generate` if this fails)', () => {
    expect(readFileSync(GENERATED_TYPES_PATH, 'utf8')).toBe(generateTypes());
  });
});

describe('rabinFingerprint', () => {
  // Vectors from the Avro specification's test suite (share/test/data/schema-tests.txt).
  // The spec lists each fingerprint as a signed 64-bit integer; on the wire it is little-endian.
  it.each([
    ['"null"', '7195948357588979594'],
    ['"int"', '8247732601305521295'],
    ['"string"', '-8142146995180207161'],
  ])('%s', (canonical, expectedSignedLong) => {
    expect(rabinFingerprint(canonical).readBigInt64LE().toString()).toBe(expectedSignedLong);
  });
});

describe('topic codecs', () => {
  const topics = topicsFor('t.');

  it('prefixes names and round-trips a value with the single-object header', () => {
    expect(topics.rawEvents.name).toBe('t.events.raw');
    const bytes = topics.rawEvents.codec.encode(rawEvent);
    expect([...bytes.subarray(0, 2)]).toEqual([0xc3, 0x01]);
    expect(bytes.subarray(2, 10)).toEqual(topics.rawEvents.codec.fingerprint);
    expect(topics.rawEvents.codec.decode(bytes)).toEqual(rawEvent);
  });

  it('decodes with nothing but the .avsc file (what a subscriber in any language does)', () => {
    const bytes = topics.rawEvents.codec.encode(rawEvent);
    const schema = JSON.parse(readFileSync(`${__dirname}/../../../schemas/raw-event.avsc`, 'utf8'));
    const type = avro.Type.forSchema(schema);
    expect(bytes.subarray(2, 10)).toEqual(rabinFingerprint(type.toString()));
    expect(type.fromBuffer(bytes.subarray(10))).toEqual(rawEvent);
  });

  it('names the field when a value does not match the schema', () => {
    const bad = { ...rawEvent, timestamp: 'yesterday' } as unknown as RawEvent;
    expect(() => topics.rawEvents.codec.encode(bad)).toThrow(AvroCodecError);
    try {
      topics.rawEvents.codec.encode(bad);
    } catch (err) {
      expect((err as AvroCodecError).field).toBe('timestamp');
    }
  });

  it('rejects bytes that are not single-object encoded, or written with another schema', () => {
    expect(() => topics.rawEvents.codec.decode(Buffer.from('{"json":true}'))).toThrow(/single-object/);
    const prediction = topics.predictions.codec.encode({
      userKey: 'u',
      sessionId: 's',
      messageId: 'm',
      modelName: 'p',
      modelVersion: 1,
      probability: 0.5,
      eventTime: 1,
      predictedAt: 2,
    });
    expect(() => topics.rawEvents.codec.decode(prediction)).toThrow(/unknown writer schema fingerprint/);
  });

  it('has a schema file for every topic and a topic for every schema file', () => {
    const used = Object.values(topics).map((t) => `${t.codec.schemaName}`);
    expect(used).toHaveLength(listSchemaFiles().length);
  });
});

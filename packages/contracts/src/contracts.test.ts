import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import avro from 'avsc';
import { GENERATED_TYPES_PATH, generateTypes } from './generate-types';
import { AvroCodecError, SCHEMAS_DIR, createAvroCodec, listSchemaFiles, rabinFingerprint, topicsFor, type Prediction, type RawEvent } from './index';

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
    expect(bytes.subarray(2, 10)).toEqual(rabinFingerprint(JSON.stringify(type.schema())));
    expect(type.fromBuffer(bytes.subarray(10))).toEqual(rawEvent);
  });

  it('encodes values larger than its reused buffer, and each result keeps its own bytes', () => {
    const codec = createAvroCodec<RawEvent>('raw-event.avsc');
    const small = codec.encode(rawEvent);
    const smallCopy = Buffer.from(small);
    const large = { ...rawEvent, properties: JSON.stringify({ text: 'x'.repeat(300_000) }) };
    const bytes = codec.encode(large);
    expect(codec.decode(bytes)).toEqual(large);
    expect(bytes.subarray(10)).toEqual(codec.type.toBuffer(large));
    expect(codec.decode(codec.encode(rawEvent))).toEqual(rawEvent);
    expect(small).toEqual(smallCopy);
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
      receivedAt: 1,
    });
    expect(() => topics.rawEvents.codec.decode(prediction)).toThrow(/unknown writer schema fingerprint/);
  });

  // Fingerprints of this repository's schemas as an independent implementation computes them (Python fastavro:
  // fingerprint(to_parsing_canonical_form(parse_schema(s)), 'CRC-64-AVRO'), the wire bytes in hex). A change to a
  // schema changes these: update them together with schemas/history.
  it.each([
    ['predictions', '3e058e1c42a0a359'],
    ['rawEvents', '4c215330b3872afb'],
    ['models', '54aa7361223af07e'],
  ] as const)('%s carries the fingerprint other Avro implementations compute', (topic, fastavroHex) => {
    expect(topics[topic].codec.fingerprint.toString('hex')).toBe(fastavroHex);
  });

  it('has a schema file for every topic and a topic for every schema file', () => {
    const used = Object.values(topics).map((t) => `${t.codec.schemaName}`);
    expect(used).toHaveLength(listSchemaFiles().length);
  });
});

describe('schema evolution', () => {
  const current = JSON.parse(readFileSync(path.join(SCHEMAS_DIR, 'prediction.avsc'), 'utf8'));
  const prediction: Prediction = {
    userKey: 'u',
    sessionId: 's',
    messageId: 'm',
    modelName: 'p',
    modelVersion: 3,
    probability: 0.25,
    eventTime: 1,
    predictedAt: 2,
    receivedAt: 1,
  };

  /** A schemas folder whose prediction.avsc is `schema` and whose history holds `older`. */
  function schemasDir(schema: object, older: object[]): string {
    const dir = mkdtempSync(path.join(tmpdir(), 'schemas-'));
    mkdirSync(path.join(dir, 'history'));
    writeFileSync(path.join(dir, 'prediction.avsc'), JSON.stringify(schema));
    older.forEach((o, i) => writeFileSync(path.join(dir, 'history', `prediction.v${i + 1}.avsc`), JSON.stringify(o)));
    return dir;
  }

  it('reads messages written with a version kept in schemas/history, filling added fields from their defaults', () => {
    const next = { ...current, fields: [...current.fields, { name: 'explanation', type: ['null', 'string'], default: null }] };
    const writtenBefore = createAvroCodec<Prediction>('prediction.avsc').encode(prediction);
    const reader = createAvroCodec<Prediction & { explanation: string | null }>('prediction.avsc', { dir: schemasDir(next, [current]) });
    expect(reader.decode(writtenBefore)).toEqual({ ...prediction, explanation: null });
  });

  it('refuses to start when the current schema cannot read a kept version', () => {
    const incompatible = { ...current, fields: [...current.fields, { name: 'explanation', type: 'string' }] };
    expect(() => createAvroCodec('prediction.avsc', { dir: schemasDir(incompatible, [current]) })).toThrow(
      /Prediction: the current schema cannot read history\/prediction.v1.avsc/,
    );
  });

  it('rejects messages from versions nobody kept', () => {
    const next = { ...current, fields: [...current.fields, { name: 'explanation', type: ['null', 'string'], default: null }] };
    const reader = createAvroCodec('prediction.avsc', { dir: schemasDir(next, []) });
    expect(() => reader.decode(createAvroCodec<Prediction>('prediction.avsc').encode(prediction))).toThrow(/or one in schemas\/history/);
  });
});

import avro from 'avsc';
import { SINGLE_OBJECT_HEADER_LENGTH, SINGLE_OBJECT_MAGIC, rabinFingerprint, unframe } from './single-object';
import { listHistorySchemaFiles, readSchemaFile, SCHEMAS_DIR } from './schema-files';

/** A value that failed Avro validation or decoding; never worth retrying. */
export class AvroCodecError extends Error {
  constructor(
    message: string,
    /** Dotted path of the offending field, when one is to blame. */
    readonly field?: string,
  ) {
    super(message);
    this.name = 'AvroCodecError';
  }
}

export interface AvroCodec<T> {
  readonly schemaName: string;
  readonly fingerprint: Buffer;
  readonly type: avro.Type;
  /** Validates then encodes with the single-object header. */
  encode(value: T): Buffer;
  /** Decodes a single-object message written with this schema or with an earlier version of it (schemas/history). */
  decode(message: Buffer): T;
}

/** The schema's Parsing Canonical Form (Avro spec): what the fingerprint is computed on. */
export const parsingCanonicalForm = (type: avro.Type): string =>
  // TRICKY: avsc's toString() references a named type by its name alone; schema() writes it out in full, in the
  // canonical field order and without doc, default or logicalType attributes.
  JSON.stringify(type.schema());

const fingerprintOf = (type: avro.Type) => rabinFingerprint(parsingCanonicalForm(type));

/**
 * Resolvers from every earlier version of the same record (same full name) in schemas/history, by fingerprint.
 * createResolver throws when the current schema cannot read an old one: an incompatible change fails at start
 * (and in the contract tests), not on the first old message.
 */
function historyResolvers(type: avro.Type, dir: string): Map<string, avro.Resolver> {
  const resolvers = new Map<string, avro.Resolver>();
  for (const file of listHistorySchemaFiles(dir)) {
    const writer = avro.Type.forSchema(readSchemaFile(file, dir).schema as avro.Schema);
    if (writer.name !== type.name) continue;
    try {
      resolvers.set(fingerprintOf(writer).toString('hex'), type.createResolver(writer));
    } catch (err) {
      throw new Error(`${type.name}: the current schema cannot read ${file}: ${(err as Error).message}`);
    }
  }
  return resolvers;
}

export function createAvroCodec<T>(schemaFile: string, opts: { dir?: string } = {}): AvroCodec<T> {
  const dir = opts.dir ?? SCHEMAS_DIR;
  const { schema } = readSchemaFile(schemaFile, dir);
  const type = avro.Type.forSchema(schema as avro.Schema);
  const fingerprint = fingerprintOf(type);
  const schemaName = type.name ?? schemaFile;
  const olderWriters = historyResolvers(type, dir);
  const encoder = new FramedEncoder(type, fingerprint);

  return {
    schemaName,
    fingerprint,
    type,
    encode(value: T): Buffer {
      // NOTE: isValid with an errorHook is ~5× slower than without: the hook runs only to explain a refusal.
      if (!type.isValid(value)) {
        const problems: string[] = [];
        type.isValid(value, {
          errorHook: (pathParts: string[], val: unknown) => {
            problems.push(`${pathParts.join('.') || '(root)'}=${JSON.stringify(val)?.slice(0, 80)}`);
          },
        });
        const firstField = problems[0]?.split('=')[0];
        throw new AvroCodecError(`value does not match ${schemaName}: ${problems.join(', ')}`, firstField);
      }
      return encoder.encode(value);
    },
    decode(message: Buffer): T {
      let parts: { fingerprint: Buffer; body: Buffer };
      try {
        parts = unframe(message);
      } catch (err) {
        throw new AvroCodecError((err as Error).message);
      }
      const resolver = parts.fingerprint.equals(fingerprint) ? undefined : olderWriters.get(parts.fingerprint.toString('hex'));
      if (!parts.fingerprint.equals(fingerprint) && !resolver) {
        throw new AvroCodecError(
          `unknown writer schema fingerprint ${parts.fingerprint.toString('hex')} for ${schemaName} ` +
            `(expected ${fingerprint.toString('hex')} or one in schemas/history)`,
        );
      }
      try {
        return type.fromBuffer(parts.body, resolver) as T;
      } catch (err) {
        throw new AvroCodecError(`cannot decode ${schemaName}: ${(err as Error).message}`);
      }
    },
  };
}

/**
 * Single-object encoding in one pass: the body is written by avsc straight after the header in a reused buffer,
 * then copied out once (toBuffer + frame copied twice: 2.5× the time in `pnpm bench codec`'s setting).
 */
class FramedEncoder {
  private scratch: Buffer;

  constructor(
    private readonly type: avro.Type,
    private readonly fingerprint: Buffer,
  ) {
    this.scratch = this.withHeader(64 * 1024);
  }

  encode(value: unknown): Buffer {
    let end = this.type.encode(value, this.scratch, SINGLE_OBJECT_HEADER_LENGTH);
    if (end < 0) {
      // avsc returns minus the bytes missing; grow (doubling keeps the number of regrowths small) and write again.
      this.scratch = this.withHeader(2 * (this.scratch.length - end));
      end = this.type.encode(value, this.scratch, SINGLE_OBJECT_HEADER_LENGTH);
    }
    return Buffer.from(this.scratch.subarray(0, end));
  }

  private withHeader(size: number): Buffer {
    const buffer = Buffer.allocUnsafe(size);
    SINGLE_OBJECT_MAGIC.copy(buffer, 0);
    this.fingerprint.copy(buffer, SINGLE_OBJECT_MAGIC.length);
    return buffer;
  }
}

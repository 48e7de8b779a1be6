import avro from 'avsc';
import { frame, rabinFingerprint, unframe } from './single-object';
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

  return {
    schemaName,
    fingerprint,
    type,
    encode(value: T): Buffer {
      const problems: string[] = [];
      const ok = type.isValid(value, {
        errorHook: (pathParts: string[], val: unknown) => {
          problems.push(`${pathParts.join('.') || '(root)'}=${JSON.stringify(val)?.slice(0, 80)}`);
        },
      });
      if (!ok) {
        const firstField = problems[0]?.split('=')[0];
        throw new AvroCodecError(`value does not match ${schemaName}: ${problems.join(', ')}`, firstField);
      }
      return frame(fingerprint, type.toBuffer(value));
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

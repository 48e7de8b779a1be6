import avro from 'avsc';
import { frame, rabinFingerprint, unframe } from './single-object';
import { readSchemaFile } from './schema-files';

/** A value that failed Avro validation or decoding; never worth retrying. */
export class AvroCodecError extends Error {
  readonly retriable = false;
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
  /** Decodes a single-object message written with this schema (or an older one registered as a writer). */
  decode(message: Buffer): T;
}

export function createAvroCodec<T>(schemaFile: string): AvroCodec<T> {
  const { schema } = readSchemaFile(schemaFile);
  const type = avro.Type.forSchema(schema as avro.Schema);
  // NOTE: toString() without a value is avsc's Parsing Canonical Form, the input the fingerprint is defined on.
  const fingerprint = rabinFingerprint(type.toString());
  const schemaName = type.name ?? schemaFile;

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
      if (!parts.fingerprint.equals(fingerprint)) {
        throw new AvroCodecError(
          `unknown writer schema fingerprint ${parts.fingerprint.toString('hex')} for ${schemaName} ` +
            `(expected ${fingerprint.toString('hex')})`,
        );
      }
      try {
        return type.fromBuffer(parts.body) as T;
      } catch (err) {
        throw new AvroCodecError(`cannot decode ${schemaName}: ${(err as Error).message}`);
      }
    },
  };
}

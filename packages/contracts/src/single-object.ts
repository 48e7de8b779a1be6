// Avro single-object encoding (Avro spec 1.10+, "Single-object encoding"):
//   0xC3 0x01 | 8-byte little-endian CRC-64-AVRO fingerprint of the schema's Parsing Canonical Form | Avro binary body
// Anyone holding the .avsc files can decode a message: compute each schema's fingerprint, match the header, decode.

const EMPTY = 0xc15d213aa4d7a795n; // CRC-64-AVRO initial value, from the Avro spec
const MASK64 = (1n << 64n) - 1n;

const FP_TABLE: bigint[] = (() => {
  const table: bigint[] = [];
  for (let i = 0; i < 256; i++) {
    let fp = BigInt(i);
    for (let j = 0; j < 8; j++) fp = (fp >> 1n) ^ (EMPTY & -(fp & 1n) & MASK64);
    table.push(fp);
  }
  return table;
})();

/** CRC-64-AVRO ("Rabin") fingerprint of a schema's Parsing Canonical Form, as 8 little-endian bytes. */
export function rabinFingerprint(canonicalForm: string): Buffer {
  let fp = EMPTY;
  for (const byte of Buffer.from(canonicalForm, 'utf8')) {
    fp = (fp >> 8n) ^ FP_TABLE[Number((fp ^ BigInt(byte)) & 0xffn)]!;
  }
  const out = Buffer.alloc(8);
  out.writeBigUInt64LE(fp);
  return out;
}

export const SINGLE_OBJECT_MAGIC = Buffer.from([0xc3, 0x01]);
export const SINGLE_OBJECT_HEADER_LENGTH = 10;

export function frame(fingerprint: Buffer, body: Buffer): Buffer {
  return Buffer.concat([SINGLE_OBJECT_MAGIC, fingerprint, body]);
}

/** Splits a single-object-encoded message; throws when the magic bytes are missing. */
export function unframe(message: Buffer): { fingerprint: Buffer; body: Buffer } {
  if (message.length < SINGLE_OBJECT_HEADER_LENGTH || !message.subarray(0, 2).equals(SINGLE_OBJECT_MAGIC)) {
    throw new Error('not Avro single-object encoded (missing 0xC3 0x01 header)');
  }
  return {
    fingerprint: message.subarray(2, SINGLE_OBJECT_HEADER_LENGTH),
    body: message.subarray(SINGLE_OBJECT_HEADER_LENGTH),
  };
}

/**
 * Turning one HTTP request into a statement the way ClickHouse's HTTP handler does: the query from `?query=` and/or
 * the body (URL query + "\n" + body), `database`, `default_format`, `param_*`, settings as the remaining URL
 * parameters, multipart/form-data bodies carrying `query` and `param_*`, and compressed request bodies. (`query_id`
 * is a URL parameter only, read by the server.)
 */
import type { IncomingMessage } from 'node:http';
import zlib from 'node:zlib';
import { promisify } from 'node:util';
import { ClickHouseException } from './errors';
import { explicitOutputFormat, firstKeyword, isReadOnlyStatement, splitInsertData, type InsertSplit } from './sql';
import type { Statement } from './engine';

/** URL parameters that are part of the HTTP protocol, not engine settings. */
const PROTOCOL_PARAMS = new Set([
  'query', 'database', 'default_format', 'query_id', 'session_id', 'session_timeout', 'session_check', 'role', 'user',
  'password', 'quota_key', 'compress', 'decompress', 'stacktrace', 'buffer_size', 'wait_end_of_query', 'readonly',
  'client_protocol_version',
]);

/**
 * Settings that only steer the HTTP layer. They are honoured (compression) or irrelevant here (progress headers,
 * buffering: responses are complete before they are sent) and never reach the engine.
 */
const HTTP_ONLY_SETTINGS = new Set([
  'enable_http_compression', 'http_zlib_compression_level', 'http_response_compression_method',
  'send_progress_in_http_headers', 'http_headers_progress_interval_ms', 'http_send_progress_interval_ms',
  'http_response_buffer_size', 'http_wait_end_of_query', 'http_native_compression_disable_checksumming_on_decompress',
  'add_http_cors_header', 'cancel_http_readonly_queries_on_client_close', 'http_write_exception_in_output_format',
  'output_format_parallel_formatting_in_http',
]);

export interface ParsedRequest {
  statement: Statement;
  /** Output format of the response (for X-ClickHouse-Format / Content-Type). */
  outputFormat: string;
  /** enable_http_compression=1: the response may be compressed per Accept-Encoding. */
  compressResponse: boolean;
  compressionLevel: number | undefined;
}

const gunzip = promisify(zlib.gunzip);
const inflate = promisify(zlib.inflate);
const brotliDecompress = promisify(zlib.brotliDecompress);

type Decoder = (buf: Buffer) => Promise<Buffer>;
const zstdDecompressFn = (zlib as unknown as { zstdDecompress?: (buf: Buffer, cb: (err: Error | null, out: Buffer) => void) => void }).zstdDecompress;
const zstdDecompress: Decoder | undefined = zstdDecompressFn ? promisify(zstdDecompressFn) : undefined;

const REQUEST_DECODERS: Record<string, Decoder | undefined> = {
  gzip: gunzip,
  'x-gzip': gunzip,
  deflate: inflate,
  br: brotliDecompress,
  zstd: zstdDecompress,
};

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  const encoding = String(req.headers['content-encoding'] ?? '').trim().toLowerCase();
  if (encoding === '' || encoding === 'identity' || body.length === 0) return body;
  const decode = REQUEST_DECODERS[encoding];
  if (!decode) {
    throw ClickHouseException.of('UNKNOWN_COMPRESSION_METHOD', `Unknown Content-Encoding of HTTP request: ${encoding}`);
  }
  try {
    return await decode(body);
  } catch (err) {
    throw ClickHouseException.of('CANNOT_PARSE_INPUT_ASSERTION_FAILED', `Cannot decompress the ${encoding} request body: ${(err as Error).message}`);
  }
}

/** Minimal multipart/form-data parser for the `query` and `param_*` parts ClickHouse accepts in a POST body. */
export function parseMultipart(body: Buffer, contentType: string): Map<string, string> {
  const m = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const boundary = m?.[1] ?? m?.[2];
  if (!boundary) throw ClickHouseException.of('BAD_ARGUMENTS', 'multipart/form-data request without a boundary');
  const parts = new Map<string, string>();
  const delimiter = Buffer.from(`--${boundary}`);
  let pos = body.indexOf(delimiter);
  while (pos >= 0) {
    pos += delimiter.length;
    if (body.subarray(pos, pos + 2).toString() === '--') break;
    const headerEnd = body.indexOf('\r\n\r\n', pos);
    if (headerEnd < 0) break;
    const headers = body.subarray(pos, headerEnd).toString('utf8');
    const next = body.indexOf(delimiter, headerEnd + 4);
    if (next < 0) break;
    let end = next;
    if (body[end - 2] === 0x0d && body[end - 1] === 0x0a) end -= 2;
    const name = /name="([^"]*)"/i.exec(headers)?.[1];
    if (name === undefined) throw ClickHouseException.of('BAD_ARGUMENTS', 'multipart/form-data part without a name');
    if (/filename=/i.test(headers) || (name !== 'query' && !name.startsWith('param_'))) {
      throw ClickHouseException.of('NOT_IMPLEMENTED', `External data (multipart part '${name}') is not supported by chdb-server`);
    }
    parts.set(name, body.subarray(headerEnd + 4, end).toString('utf8'));
    pos = next;
  }
  return parts;
}

/** Byte offset in `buf` of character offset `chars` of `head` (a UTF-8 decode of the start of `buf`). */
function byteOffset(head: string, chars: number): number {
  return Buffer.byteLength(head.slice(0, chars), 'utf8');
}

/** How much of a body-only INSERT is decoded to find where its inline data begins. */
const INSERT_HEADER_SCAN = 1 << 20;

export async function parseRequest(req: IncomingMessage, url: URL, body: Buffer): Promise<ParsedRequest> {
  const search = url.searchParams;
  if (search.get('decompress') === '1' || search.get('compress') === '1') {
    throw ClickHouseException.of('NOT_IMPLEMENTED', "ClickHouse's native block compression (compress=1 / decompress=1) is not supported by chdb-server; use HTTP Content-Encoding");
  }

  const params: Record<string, string> = {};
  const settings: Record<string, string> = {};
  for (const [key, value] of search) {
    if (key.startsWith('param_')) params[key.slice(6)] = value;
    else if (!PROTOCOL_PARAMS.has(key) && !HTTP_ONLY_SETTINGS.has(key)) settings[key] = value;
  }

  let urlQuery = search.get('query') ?? undefined;
  let data = body;
  const contentType = String(req.headers['content-type'] ?? '');
  if (req.method === 'POST' && /^multipart\/form-data/i.test(contentType)) {
    const parts = parseMultipart(body, contentType);
    for (const [name, value] of parts) {
      if (name.startsWith('param_')) params[name.slice(6)] = value;
    }
    const partQuery = parts.get('query');
    if (partQuery !== undefined) urlQuery = urlQuery === undefined ? partQuery : `${urlQuery}\n${partQuery}`;
    data = Buffer.alloc(0);
  }

  const headerDatabase = req.headers['x-clickhouse-database'];
  const database = search.get('database') || (typeof headerDatabase === 'string' && headerDatabase) || 'default';
  const headerFormat = req.headers['x-clickhouse-format'];
  const defaultFormat = search.get('default_format') || (typeof headerFormat === 'string' && headerFormat) || 'TabSeparated';

  let sql: string;
  let insertData: Buffer | undefined;
  let insert: boolean;
  /** Set for INSERT … FORMAT X / VALUES (the statement takes inline data); undefined for every other statement. */
  let split: InsertSplit | undefined;
  if (urlQuery !== undefined && urlQuery.trim() !== '') {
    insert = firstKeyword(urlQuery) === 'INSERT';
    split = insert && data.length > 0 ? splitInsertData(urlQuery) : undefined;
    if (split && split.dataOffset >= urlQuery.trimEnd().length) {
      // INSERT … FORMAT X in the URL, rows in the body.
      sql = urlQuery;
      insertData = data;
    } else {
      sql = data.length > 0 ? `${urlQuery}\n${data.toString('utf8')}` : urlQuery;
      if (insert) ({ sql, insertData, split } = splitInsert(sql));
    }
  } else {
    if (data.length === 0) throw ClickHouseException.of('SYNTAX_ERROR', 'Empty query');
    const head = data.subarray(0, INSERT_HEADER_SCAN).toString('utf8');
    insert = firstKeyword(head) === 'INSERT';
    split = insert ? splitInsertData(head) : undefined;
    if (split && split.dataOffset < head.length) {
      sql = split.header;
      insertData = data.subarray(byteOffset(head, split.dataOffset));
    } else {
      // A body within the scan was decoded whole already.
      sql = data.length <= INSERT_HEADER_SCAN ? head : data.toString('utf8');
      if (insert) ({ sql, insertData, split } = splitInsert(sql));
    }
  }
  if (sql.trim() === '') throw ClickHouseException.of('SYNTAX_ERROR', 'Empty query');

  const readonly = search.get('readonly');
  if ((req.method === 'GET' || (readonly !== null && readonly !== '0')) && !isReadOnlyStatement(sql)) {
    throw ClickHouseException.of(
      'READONLY',
      req.method === 'GET'
        ? 'Cannot execute query in readonly mode. For queries over HTTP, method GET implies readonly. You should use method POST for modifying queries'
        : 'Cannot execute query in readonly mode',
    );
  }

  const compression = search.get('enable_http_compression');
  const level = search.get('http_zlib_compression_level');
  return {
    statement: {
      sql,
      data: insertData,
      insert,
      expectsData: split !== undefined,
      format: defaultFormat,
      database,
      params,
      settings,
    },
    outputFormat: (insert ? undefined : explicitOutputFormat(sql)) ?? defaultFormat,
    compressResponse: compression === '1' || compression === 'true',
    compressionLevel: level !== null && /^\d$/.test(level) ? Number(level) : undefined,
  };
}

/**
 * Splits the inline data off a complete INSERT text so it travels as bytes; leaves INSERT … SELECT whole (split
 * undefined) and an INSERT … FORMAT X without data as it is.
 */
function splitInsert(text: string): { sql: string; insertData: Buffer | undefined; split: InsertSplit | undefined } {
  const split = splitInsertData(text);
  if (!split || split.dataOffset >= text.length) return { sql: text, insertData: undefined, split };
  return { sql: split.header, insertData: Buffer.from(text.slice(split.dataOffset), 'utf8'), split };
}

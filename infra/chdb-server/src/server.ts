/**
 * ClickHouse's HTTP interface, served from the chDB engine this process owns.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import zlib from 'node:zlib';
import { promisify } from 'node:util';
import { ChdbEngine, type StatementResult } from './engine';
import { ClickHouseException, toClickHouseException } from './errors';
import { parseRequest, readBody } from './http-request';
import type { Logger } from './log';

export interface ChdbServerOptions {
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
  /** Port to listen on (default 8123; 0 picks a free one). */
  port?: number;
  /** chDB data directory; created when missing. Only one process may use it at a time. */
  dataDir: string;
  /** Receives one structured event per call; silent when omitted. */
  log?: Logger;
  /** Also log query_start / query_finish for every query (default false: errors only). */
  logQueries?: boolean;
}

export interface ChdbServer {
  /** http://host:port of the listening server. */
  url: string;
  port: number;
  dataDir: string;
  /** Stops accepting, lets accepted requests finish, then closes the chDB session. Idempotent. */
  close(): Promise<void>;
}

const gzip = promisify(zlib.gzip);
const deflate = promisify(zlib.deflate);
const brotliCompress = promisify(zlib.brotliCompress);

/** Response encodings, in order of preference (the first one the client accepts wins). */
const compressors: Record<string, ((buf: Buffer, level: number | undefined) => Promise<Buffer>) | undefined> = {
  gzip: (buf, level) => gzip(buf, level === undefined ? {} : { level }),
  deflate: (buf, level) => deflate(buf, level === undefined ? {} : { level }),
  br: (buf) => brotliCompress(buf, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 4 } }),
};

function pickEncoding(acceptEncoding: string | undefined): string | undefined {
  if (!acceptEncoding) return undefined;
  const offered = acceptEncoding.split(',').map((s) => s.trim().split(';')[0]!.toLowerCase());
  return Object.keys(compressors).find((e) => offered.includes(e));
}

/** Content-Type ClickHouse sends for an output format. */
export function contentTypeFor(format: string): string {
  const f = format.toLowerCase();
  if (f === 'jsoneachrow' || f === 'jsonlines' || f === 'ndjson' || (f.startsWith('json') && f.includes('eachrow'))) {
    return 'application/x-ndjson; charset=UTF-8';
  }
  if (f.startsWith('json')) return 'application/json; charset=UTF-8';
  if (f.startsWith('tabseparated') || f.startsWith('tsv')) return 'text/tab-separated-values; charset=UTF-8';
  if (f.startsWith('csv')) return 'text/csv; charset=UTF-8; header=absent';
  if (/^(rowbinary|native|parquet|arrow|orc|avro|protobuf|msgpack|capnproto|bsoneachrow|npy)/.test(f)) {
    return 'application/octet-stream';
  }
  return 'text/plain; charset=UTF-8';
}

function summary(r: StatementResult | undefined): string {
  const s = (n: number | undefined) => String(n ?? 0);
  return JSON.stringify({
    read_rows: s(r?.resultRows),
    read_bytes: s(r?.resultBytes),
    written_rows: s(r?.writtenRows),
    written_bytes: s(r?.writtenBytes),
    total_rows_to_read: '0',
    result_rows: s(r?.resultRows),
    result_bytes: s(r?.resultBytes),
    elapsed_ns: s(r?.elapsedNs),
  });
}

const clip = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max)}…` : text);

const NOT_FOUND_TEXT = (uri: string) =>
  `There is no handle ${uri}\n\nUse / or /ping for health checks.\n\nSend queries from your program with POST method or GET /?query=...\n`;

/** Starts the server; resolves once it is listening. Rejects when the data directory or the port cannot be had. */
export async function startChdbServer(options: ChdbServerOptions): Promise<ChdbServer> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 8123;
  const log: Logger = options.log ?? (() => undefined);
  mkdirSync(options.dataDir, { recursive: true });

  let engine: ChdbEngine;
  try {
    engine = await ChdbEngine.open(options.dataDir, {
      onUnknownSetting: (name) => log({ level: 'warn', event: 'setting_ignored', setting: name, reason: 'unknown to the engine' }),
    });
  } catch (err) {
    throw new Error(
      `cannot open the chDB data directory ${options.dataDir}: ${(err as Error).message}. ` +
        'chDB allows one process per data directory (is another chdb-server using it?) and one data directory per process.',
      { cause: err },
    );
  }
  let closing = false;
  let inFlight = 0;

  const server = http.createServer((req, res) => {
    inFlight++;
    res.once('close', () => {
      inFlight--;
    });
    if (closing) res.setHeader('Connection', 'close');
    handle(req, res).catch((err: unknown) => {
      log({ level: 'error', event: 'internal_error', message: (err as Error)?.stack ?? String(err) });
      if (!res.headersSent) sendError(res, toClickHouseException(err), randomUUID());
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 10_000;
  // An accepted upload may take long on a slow link; the engine, not the socket, bounds the work.
  server.requestTimeout = 0;

  function sendError(res: ServerResponse, ex: ClickHouseException, queryId: string): void {
    if (res.headersSent || res.destroyed) return;
    const body = Buffer.from(ex.body(engine.version), 'utf8');
    res.writeHead(ex.httpStatus, {
      'Content-Type': 'text/plain; charset=UTF-8',
      'Content-Length': body.length,
      'X-ClickHouse-Exception-Code': String(ex.code),
      'X-ClickHouse-Query-Id': queryId,
      'X-ClickHouse-Timezone': engine.timezone,
      'X-ClickHouse-Server-Display-Name': 'chdb-server',
      'X-ClickHouse-Summary': summary(undefined),
    });
    res.end(body);
  }

  function sendText(req: IncomingMessage, res: ServerResponse, status: number, text: string): void {
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=UTF-8', 'Content-Length': Buffer.byteLength(text) });
    res.end(req.method === 'HEAD' ? undefined : text);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    const path = url.pathname.replace(/\/+$/, '') || '/';

    if ((path === '/ping' || path === '/replicas_status') && (method === 'GET' || method === 'HEAD')) {
      sendText(req, res, 200, 'Ok.\n');
      return;
    }
    const hasQuery = url.searchParams.has('query');
    if (path === '/' && (method === 'GET' || method === 'HEAD') && !hasQuery) {
      sendText(req, res, 200, 'Ok.\n');
      return;
    }
    if (path !== '/' && path !== '/query') {
      req.resume();
      sendText(req, res, 404, NOT_FOUND_TEXT(req.url ?? path));
      return;
    }
    if (method !== 'GET' && method !== 'POST') {
      req.resume();
      res.setHeader('Allow', 'GET, POST, HEAD');
      sendText(req, res, 405, `Method ${method} is not supported; send queries with POST or GET /?query=...\n`);
      return;
    }

    const queryId = url.searchParams.get('query_id') || randomUUID();
    let clientGone = false;
    res.once('close', () => {
      if (!res.writableFinished) clientGone = true;
    });
    try {
      const body = method === 'POST' ? await readBody(req) : (req.resume(), Buffer.alloc(0));
      const parsed = await parseRequest(req, url, body);
      const startedAt = process.hrtime.bigint();
      if (options.logQueries) log({ level: 'info', event: 'query_start', query_id: queryId, query: clip(parsed.statement.sql, 500) });
      const result = await engine.execute(parsed.statement, () => !clientGone && !res.destroyed);
      if (options.logQueries) {
        log({
          level: 'info',
          event: 'query_finish',
          query_id: queryId,
          elapsed_ms: Number(process.hrtime.bigint() - startedAt) / 1e6,
          result_rows: result.resultRows,
          written_rows: result.writtenRows,
        });
      }
      if (res.destroyed) return;

      let payload = result.body;
      const headers: Record<string, string | number> = {
        'Content-Type': contentTypeFor(parsed.outputFormat),
        'X-ClickHouse-Query-Id': queryId,
        'X-ClickHouse-Format': parsed.outputFormat,
        'X-ClickHouse-Timezone': engine.timezone,
        'X-ClickHouse-Server-Display-Name': 'chdb-server',
        'X-ClickHouse-Summary': summary(result),
      };
      const encoding = parsed.compressResponse ? pickEncoding(req.headers['accept-encoding']) : undefined;
      if (encoding && payload.length > 0) {
        payload = await compressors[encoding]!(payload, parsed.compressionLevel);
        headers['Content-Encoding'] = encoding;
        headers['Vary'] = 'Accept-Encoding';
      }
      headers['Content-Length'] = payload.length;
      if (res.destroyed) return;
      res.writeHead(200, headers);
      res.end(payload);
    } catch (err) {
      const ex = toClickHouseException(err);
      if (!clientGone) {
        log({
          level: ex.httpStatus >= 500 ? 'error' : 'warn',
          event: 'query_error',
          query_id: queryId,
          code: ex.code,
          type: ex.type,
          status: ex.httpStatus,
          message: clip(ex.text, 2000),
        });
      }
      sendError(res, ex, queryId);
    }
  }

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => {
      server.off('listening', onListening);
      reject(err);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  }).catch(async (err: unknown) => {
    await engine.close();
    throw err;
  });
  server.on('error', (err) => log({ level: 'error', event: 'server_error', message: err.message }));

  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${urlHost}:${address.port}`;

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      closing = true;
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // Requests already accepted run to completion; keep-alive sockets close as soon as they go idle.
      const idleSweep = setInterval(() => server.closeIdleConnections(), 50);
      while (inFlight > 0) await new Promise((r) => setTimeout(r, 20));
      clearInterval(idleSweep);
      server.closeAllConnections();
      await stopped;
      await engine.close();
    })();
    return closed;
  };

  return { url, port: address.port, dataDir: options.dataDir, close };
}

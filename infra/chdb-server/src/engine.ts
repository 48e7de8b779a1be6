/**
 * The one chDB connection of this process, and the queue that every statement goes through.
 *
 * chDB binds one data directory per process and its queries share session state (current database, SET settings,
 * query parameters), so statements run strictly one after another. Each runs on a libuv worker thread (the binding's
 * async entry points), which keeps the event loop — and so /ping and the accepting of new requests — responsive
 * while a long query executes.
 *
 * Two things go below chDB's public API, to the native entry points it is built on:
 *  - query parameters: the HTTP interface carries them already in ClickHouse's escaped text form (`param_x=a\tb`),
 *    which is exactly what the engine's binder parses. The public `queryBindAsync` takes JS values and escapes them
 *    again, so it would double-escape; the native call takes the strings as they are.
 *  - inserts: the native raw-insert entry takes an arbitrary `INSERT … FORMAT X` / `INSERT … VALUES` prefix and the
 *    data as a Buffer (no copy into a JS string) and reports written rows/bytes, which plain queries do not.
 */
import path from 'node:path';
import { Session } from 'chdb';
import { ClickHouseException, toClickHouseException } from './errors';

interface NativeQueryResult {
  bytes: Uint8Array;
  elapsed: number;
  rowsRead: number;
  bytesRead: number;
}

interface NativeInsertResult {
  elapsed: number;
  rowsWritten: number;
  bytesWritten: number;
}

interface ChdbNative {
  QueryAsyncConnection(conn: unknown, sql: string, format: string, params?: Record<string, string>): Promise<NativeQueryResult>;
  InsertRawAsyncConnection(conn: unknown, prefix: string, data: Buffer, countLines: boolean): Promise<NativeInsertResult>;
}

function loadNative(): ChdbNative {
  // chdb's package exports do not expose its loader; require it by file path (the same module instance chdb uses).
  const chdbMain = require.resolve('chdb');
  const loader = require(path.join(path.dirname(chdbMain), 'dist', 'loader.js')) as { loadNative(): Partial<ChdbNative> };
  const native = loader.loadNative();
  if (typeof native.QueryAsyncConnection !== 'function' || typeof native.InsertRawAsyncConnection !== 'function') {
    throw new Error('this chdb version lacks QueryAsyncConnection/InsertRawAsyncConnection; chdb-server is built against chdb 3.4.0');
  }
  return native as ChdbNative;
}

export interface Statement {
  /** The SQL. For an insert with `data`, the statement up to and including `FORMAT X` / `VALUES`. */
  sql: string;
  /** Inline data of an INSERT, passed to the engine as bytes. */
  data?: Buffer;
  /** True for INSERT statements (run through the raw-insert entry to learn the written rows). */
  insert: boolean;
  /** INSERT … FORMAT X / INSERT … VALUES: the statement takes inline data (`data`). */
  expectsData?: boolean;
  /** Output format used when the SQL has no FORMAT clause. */
  format: string;
  /** Database for unqualified names. */
  database: string;
  /** Query parameters in ClickHouse's escaped text form, bound by the engine to {name:Type}. */
  params: Record<string, string>;
  /** Settings for this statement only (name → value as sent). */
  settings: Record<string, string>;
}

export interface StatementResult {
  body: Buffer;
  resultRows: number;
  resultBytes: number;
  writtenRows: number;
  writtenBytes: number;
  elapsedNs: number;
}

export interface EngineEvents {
  /** A setting the engine does not know was dropped (reported once per name). */
  onUnknownSetting?(name: string): void;
}

/** Runs tasks one at a time, in arrival order. */
export class SerialQueue {
  private tail: Promise<void> = Promise.resolve();
  private count = 0;

  run<T>(task: () => Promise<T>): Promise<T> {
    this.count++;
    const result = this.tail.then(task);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    ).finally(() => {
      this.count--;
    });
    return result;
  }

  /** Resolves once everything queued so far (and anything queued meanwhile) has finished. */
  async drain(): Promise<void> {
    while (this.count > 0) await this.tail;
  }
}

/**
 * Where chDB's defaults (those of clickhouse-local) differ from clickhouse-server's in ways a client notices, start
 * the engine with the server's: 64-bit integers quoted in JSON output (what @clickhouse/client's types assume),
 * strict DateTime parsing, no implicit SELECT.
 */
const SERVER_DEFAULTS = ['--output_format_json_quote_64bit_integers=1', '--date_time_input_format=basic', '--implicit_select=0'];

const SETTING_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function isBlank(data: Buffer | undefined): boolean {
  if (!data) return true;
  for (const byte of data) if (byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09) return false;
  return true;
}

function quoteString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function quoteIdentifier(name: string): string {
  return `\`${name.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``;
}

export class ChdbEngine {
  private readonly native: ChdbNative;
  private readonly session: Session;
  private readonly queue = new SerialQueue();
  /** Database the connection is in, or undefined when a statement may have changed it. */
  private currentDatabase: string | undefined = 'default';
  /** Settings currently SET on the connection by this engine (name → value). */
  private applied = new Map<string, string>();
  private readonly unknownSettings = new Set<string>();
  /** Per setting name: the value to restore (null = DEFAULT). */
  private readonly baseline = new Map<string, string | null>();
  private closed = false;
  version = 'unknown';
  timezone = 'UTC';

  private constructor(readonly dataDir: string, private readonly events: EngineEvents) {
    this.native = loadNative();
    this.session = new Session(dataDir, { connectionArgs: SERVER_DEFAULTS });
  }

  static async open(dataDir: string, events: EngineEvents = {}): Promise<ChdbEngine> {
    const engine = new ChdbEngine(dataDir, events);
    try {
      const info = await engine.raw('SELECT version(), timezone()', 'TabSeparated');
      const [version, timezone] = Buffer.from(info.bytes).toString('utf8').trim().split('\t');
      engine.version = version || 'unknown';
      engine.timezone = timezone || 'UTC';
    } catch (err) {
      engine.session.close();
      throw err;
    }
    return engine;
  }

  /**
   * Queues a statement. `stillWanted` is asked right before it runs: a request whose client has gone away by then is
   * skipped instead of executed.
   */
  execute(stmt: Statement, stillWanted: () => boolean = () => true): Promise<StatementResult> {
    if (this.closed) return Promise.reject(new Error('chDB engine is closed'));
    return this.queue.run(async () => {
      if (this.closed) throw new Error('chDB engine is closed');
      if (!stillWanted()) throw ClickHouseException.of('UNKNOWN_EXCEPTION', 'Client closed the connection before the query started');
      try {
        await this.useDatabase(stmt.database);
        await this.applySettings(stmt.settings);
        return await this.run(stmt);
      } catch (err) {
        throw toClickHouseException(err);
      } finally {
        if (/\bUSE\b/i.test(stmt.sql)) this.currentDatabase = undefined;
      }
    });
  }

  /** Waits for queued statements, then closes the connection (the engine flushes and releases the data directory). */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.queue.drain();
    this.closed = true;
    this.session.close();
  }

  private raw(sql: string, format: string, params?: Record<string, string>): Promise<NativeQueryResult> {
    const conn = this.session.connection;
    if (!conn) return Promise.reject(new Error('chDB session is closed'));
    return params && Object.keys(params).length > 0
      ? this.native.QueryAsyncConnection(conn, sql, format, params)
      : this.native.QueryAsyncConnection(conn, sql, format);
  }

  private async run(stmt: Statement): Promise<StatementResult> {
    const conn = this.session.connection;
    const hasParams = Object.keys(stmt.params).length > 0;
    if (stmt.insert && stmt.expectsData && isBlank(stmt.data)) {
      // INSERT … FORMAT X / VALUES with an empty body: nothing to write (the HTTP server does not fail on it either).
      return { body: Buffer.alloc(0), resultRows: 0, resultBytes: 0, writtenRows: 0, writtenBytes: 0, elapsedNs: 0 };
    }
    if (stmt.insert && !hasParams) {
      const data = stmt.data ?? Buffer.alloc(0);
      const r = await this.native.InsertRawAsyncConnection(conn, stmt.sql, data, false);
      return {
        body: Buffer.alloc(0),
        resultRows: 0,
        resultBytes: 0,
        writtenRows: r.rowsWritten ?? 0,
        writtenBytes: r.bytesWritten ?? 0,
        elapsedNs: Math.round((r.elapsed ?? 0) * 1e9),
      };
    }
    // Parameterised inserts: the raw-insert entry does not bind parameters, so the data goes inline.
    const sql = stmt.data && stmt.data.length > 0 ? `${stmt.sql}\n${stmt.data.toString('utf8')}` : stmt.sql;
    const r = await this.raw(sql, stmt.format, stmt.params);
    const body = Buffer.isBuffer(r.bytes) ? r.bytes : Buffer.from(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength);
    return {
      body,
      resultRows: r.rowsRead ?? 0,
      resultBytes: r.bytesRead ?? 0,
      writtenRows: 0,
      writtenBytes: 0,
      elapsedNs: Math.round((r.elapsed ?? 0) * 1e9),
    };
  }

  private async useDatabase(database: string): Promise<void> {
    if (this.currentDatabase === database) return;
    this.currentDatabase = undefined;
    await this.raw(`USE ${quoteIdentifier(database)}`, 'TabSeparated');
    this.currentDatabase = database;
  }

  /**
   * What a setting returns to after a statement that changed it: DEFAULT when the connection runs with the built-in
   * default, else the value it was started with (SET … = DEFAULT would go back to the built-in default, not to the
   * value given at connect). Looked up once per name in system.settings; names not listed there are left to SET to
   * accept or reject.
   */
  private async learnBaselines(names: string[]): Promise<void> {
    const fresh = names.filter((n) => !this.baseline.has(n));
    if (fresh.length === 0) return;
    const r = await this.raw(
      `SELECT name, value, changed FROM system.settings WHERE name IN (${fresh.map(quoteString).join(', ')})`,
      'JSONEachRow',
    );
    const text = Buffer.from(r.bytes).toString('utf8').trim();
    for (const line of text === '' ? [] : text.split('\n')) {
      const row = JSON.parse(line) as { name: string; value: string; changed: number | boolean };
      this.baseline.set(row.name, row.changed ? row.value : null);
    }
  }

  private resetExpression(name: string): string {
    const base = this.baseline.get(name);
    return base === undefined || base === null ? `${name} = DEFAULT` : `${name} = ${quoteString(base)}`;
  }

  /**
   * Makes the connection's settings equal `wanted`: SET what is new or changed, put back what the previous statement
   * had and this one does not. Settings the engine does not know (HTTP-layer ones a client sends, typos) are dropped,
   * as are names that are not plain identifiers; `readonly` never reaches the engine (it could not be undone).
   */
  private async applySettings(wanted: Record<string, string>): Promise<void> {
    const target = new Map<string, string>();
    for (const [name, value] of Object.entries(wanted)) {
      if (SETTING_NAME.test(name) && name !== 'readonly' && !this.unknownSettings.has(name)) target.set(name, value);
    }
    const reset = [...this.applied.keys()].filter((name) => !target.has(name));
    if (reset.length > 0) {
      await this.raw(`SET ${reset.map((name) => this.resetExpression(name)).join(', ')}`, 'TabSeparated');
      for (const name of reset) this.applied.delete(name);
    }
    if (target.size === 0) return;
    await this.learnBaselines([...target.keys()]);
    for (let attempt = 0; attempt < 64; attempt++) {
      const changed = [...target].filter(([name, value]) => this.applied.get(name) !== value);
      if (changed.length === 0) return;
      try {
        await this.raw(`SET ${changed.map(([name, value]) => `${name} = ${quoteString(value)}`).join(', ')}`, 'TabSeparated');
        for (const [name, value] of changed) this.applied.set(name, value);
        return;
      } catch (err) {
        const ex = toClickHouseException(err);
        const unknown = ex.code === 115 ? /Unknown setting '([^']+)'/.exec(ex.text)?.[1] : undefined;
        if (!unknown || !target.has(unknown)) throw ex;
        target.delete(unknown);
        this.unknownSettings.add(unknown);
        this.events.onUnknownSetting?.(unknown);
      }
    }
  }
}

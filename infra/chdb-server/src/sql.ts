/**
 * Just enough SQL lexing for the HTTP layer: which kind of statement a query is, which output format it asks for,
 * and where the inline data of `INSERT … FORMAT X` / `INSERT … VALUES` begins. The engine does the real parsing;
 * this only has to skip comments, string literals and quoted identifiers correctly so that a `FORMAT` inside a
 * string is never mistaken for the clause.
 */

export interface Word {
  /** Upper-cased bare word (keywords and unquoted identifiers). */
  upper: string;
  /** As written. */
  text: string;
  start: number;
  end: number;
  /** Parenthesis/bracket nesting depth at the word. */
  depth: number;
}

function isWordStart(c: string): boolean {
  return /[A-Za-z_]/.test(c);
}

function isWordChar(c: string): boolean {
  return /[A-Za-z0-9_]/.test(c);
}

/**
 * Calls `visit` for each bare word in `sql` in order, skipping comments, literals and quoted identifiers.
 * Stops early when `visit` returns true.
 */
export function scanWords(sql: string, visit: (w: Word) => boolean | void): void {
  let i = 0;
  let depth = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if (c === '-' && next === '-') {
      i = skipLine(sql, i + 2);
    } else if (c === '#' && (next === ' ' || next === '!')) {
      i = skipLine(sql, i + 2);
    } else if (c === '/' && next === '*') {
      const close = sql.indexOf('*/', i + 2);
      i = close < 0 ? n : close + 2;
    } else if (c === "'" || c === '"' || c === '`') {
      i = skipQuoted(sql, i, c);
    } else if (c === '$') {
      // heredoc: $tag$ … $tag$
      const m = /^\$([A-Za-z0-9_]*)\$/.exec(sql.slice(i, i + 64));
      if (m) {
        const close = sql.indexOf(m[0], i + m[0].length);
        i = close < 0 ? n : close + m[0].length;
      } else {
        i++;
      }
    } else if (c === '(' || c === '[' || c === '{') {
      depth++;
      i++;
    } else if (c === ')' || c === ']' || c === '}') {
      depth = Math.max(0, depth - 1);
      i++;
    } else if (isWordStart(c)) {
      let j = i + 1;
      while (j < n && isWordChar(sql[j]!)) j++;
      const text = sql.slice(i, j);
      if (visit({ upper: text.toUpperCase(), text, start: i, end: j, depth })) return;
      i = j;
    } else if (/[0-9]/.test(c)) {
      let j = i + 1;
      while (j < n && /[0-9A-Za-z_.]/.test(sql[j]!)) j++;
      i = j;
    } else {
      i++;
    }
  }
}

function skipLine(sql: string, from: number): number {
  const nl = sql.indexOf('\n', from);
  return nl < 0 ? sql.length : nl + 1;
}

function skipQuoted(sql: string, from: number, quote: string): number {
  let i = from + 1;
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === '\\') {
      i += 2;
    } else if (c === quote) {
      if (sql[i + 1] === quote) i += 2; // doubled quote
      else return i + 1;
    } else {
      i++;
    }
  }
  return sql.length;
}

/** The first keyword of the statement, upper-cased ('' when there is none). */
export function firstKeyword(sql: string): string {
  let kw = '';
  scanWords(sql, (w) => {
    kw = w.upper;
    return true;
  });
  return kw;
}

/** Statements that a GET request (ClickHouse: readonly=2) may run. */
const READ_ONLY_STATEMENTS = new Set(['SELECT', 'WITH', 'SHOW', 'DESC', 'DESCRIBE', 'EXISTS', 'EXPLAIN', 'CHECK', 'SET', 'USE']);

/** True when the statement only reads (or is a bare parenthesised SELECT). */
export function isReadOnlyStatement(sql: string): boolean {
  const kw = firstKeyword(sql);
  if (kw === '') return /^\s*\(/.test(stripLeadingComments(sql));
  return READ_ONLY_STATEMENTS.has(kw);
}

function stripLeadingComments(sql: string): string {
  let s = sql;
  for (;;) {
    const t = s.replace(/^\s+/, '');
    if (t.startsWith('--')) s = t.slice(skipLine(t, 2));
    else if (t.startsWith('/*')) {
      const close = t.indexOf('*/', 2);
      s = close < 0 ? '' : t.slice(close + 2);
    } else return t;
  }
}

/**
 * The output format named by a top-level `FORMAT <name>` clause of a non-INSERT statement, if any.
 * (For INSERT, `FORMAT` names the input format of the data that follows.)
 */
export function explicitOutputFormat(sql: string): string | undefined {
  let format: string | undefined;
  let expectName = false;
  let first = true;
  scanWords(sql, (w) => {
    if (first) {
      first = false;
      if (w.upper === 'INSERT') return true;
    }
    if (expectName) {
      format = w.text;
      expectName = false;
      return false;
    }
    if (w.upper === 'FORMAT' && w.depth === 0) expectName = true;
    return false;
  });
  return format;
}

export interface InsertSplit {
  /** The statement up to and including `FORMAT <name>` / `VALUES`. */
  header: string;
  /** Character offset in the scanned text where the inline data begins. */
  dataOffset: number;
}

/**
 * For `INSERT … FORMAT <name> <data>` or `INSERT … VALUES <data>`, where the data begins.
 * Returns undefined for other statements, including `INSERT … SELECT`.
 * Like ClickHouse, the data of `FORMAT <name>` starts after the whitespace up to and including the first newline.
 */
export function splitInsertData(sql: string): InsertSplit | undefined {
  let isInsert: boolean | undefined;
  let result: InsertSplit | undefined;
  let expectFormatName = false;
  scanWords(sql, (w) => {
    if (isInsert === undefined) {
      isInsert = w.upper === 'INSERT';
      return !isInsert;
    }
    if (expectFormatName) {
      let i = w.end;
      while (i < sql.length && (sql[i] === ' ' || sql[i] === '\t' || sql[i] === '\r')) i++;
      if (sql[i] === '\n') i++;
      result = { header: sql.slice(0, w.end), dataOffset: i };
      return true;
    }
    if (w.depth !== 0) return false;
    if (w.upper === 'SELECT' || w.upper === 'WITH') return true; // INSERT … SELECT: no inline data
    if (w.upper === 'FORMAT') {
      expectFormatName = true;
      return false;
    }
    if (w.upper === 'VALUES') {
      result = { header: sql.slice(0, w.end), dataOffset: w.end };
      return true;
    }
    return false;
  });
  return result;
}

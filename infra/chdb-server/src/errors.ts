/**
 * ClickHouse-shaped errors: the text body `Code: <n>. DB::Exception: <message>. (<NAME>) (version …)`, the
 * `X-ClickHouse-Exception-Code` header and the HTTP status ClickHouse's HTTP handler picks for the code, so that
 * `@clickhouse/client` raises its `ClickHouseError` with the same `code` and `type` it would against a real server.
 */

/** The ClickHouse error codes this server produces itself or maps to an HTTP status. */
export const ErrorCodes = {
  CANNOT_PARSE_TEXT: 6,
  THERE_IS_NO_COLUMN: 8,
  DUPLICATE_COLUMN: 15,
  CANNOT_PARSE_ESCAPE_SEQUENCE: 25,
  CANNOT_PARSE_QUOTED_STRING: 26,
  CANNOT_PARSE_INPUT_ASSERTION_FAILED: 27,
  BAD_ARGUMENTS: 36,
  UNKNOWN_ELEMENT_IN_AST: 37,
  CANNOT_PARSE_DATE: 38,
  CANNOT_PARSE_DATETIME: 41,
  ILLEGAL_COLUMN: 44,
  UNKNOWN_FUNCTION: 46,
  UNKNOWN_IDENTIFIER: 47,
  NOT_IMPLEMENTED: 48,
  UNKNOWN_TYPE: 50,
  TYPE_MISMATCH: 53,
  UNKNOWN_STORAGE: 56,
  UNKNOWN_TABLE: 60,
  SYNTAX_ERROR: 62,
  UNKNOWN_AGGREGATE_FUNCTION: 63,
  CANNOT_PARSE_NUMBER: 72,
  UNKNOWN_FORMAT: 73,
  CANNOT_OPEN_FILE: 76,
  UNKNOWN_TYPE_OF_QUERY: 78,
  UNKNOWN_DATABASE: 81,
  UNKNOWN_COMPRESSION_METHOD: 89,
  UNKNOWN_SETTING: 115,
  INCORRECT_DATA: 117,
  UNKNOWN_TYPE_OF_AST_NODE: 123,
  UNKNOWN_DIRECTION_OF_SORTING: 152,
  TIMEOUT_EXCEEDED: 159,
  READONLY: 164,
  TOO_DEEP_AST: 167,
  TOO_BIG_AST: 168,
  UNKNOWN_USER: 192,
  WRONG_PASSWORD: 193,
  REQUIRED_PASSWORD: 194,
  SOCKET_TIMEOUT: 209,
  UNEXPECTED_AST_STRUCTURE: 223,
  QUERY_IS_TOO_LARGE: 229,
  VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE: 321,
  UNKNOWN_DATABASE_ENGINE: 336,
  CANNOT_PARSE_UUID: 376,
  HTTP_LENGTH_REQUIRED: 381,
  QUERY_WAS_CANCELLED: 394,
  CANNOT_COMPILE_REGEXP: 427,
  CANNOT_SCHEDULE_TASK: 439,
  CANNOT_PARSE_DOMAIN_VALUE_FROM_STRING: 441,
  UNKNOWN_QUERY_PARAMETER: 456,
  BAD_QUERY_PARAMETER: 457,
  ACCESS_DENIED: 497,
  UNKNOWN_ROLE: 511,
  SET_NON_GRANTED_ROLE: 512,
  AUTHENTICATION_FAILED: 516,
  CANNOT_PARSE_IPV4: 675,
  CANNOT_PARSE_IPV6: 676,
  UNSUPPORTED_MEDIA_TYPE: 779,
  STD_EXCEPTION: 1001,
  UNKNOWN_EXCEPTION: 1002,
} as const;

export type ErrorName = keyof typeof ErrorCodes;

const NAME_BY_CODE = new Map<number, string>(Object.entries(ErrorCodes).map(([name, code]) => [code, name]));

const C = ErrorCodes;
const BAD_REQUEST = new Set<number>([
  C.BAD_ARGUMENTS, C.CANNOT_COMPILE_REGEXP, C.CANNOT_PARSE_TEXT, C.CANNOT_PARSE_ESCAPE_SEQUENCE,
  C.CANNOT_PARSE_QUOTED_STRING, C.CANNOT_PARSE_DATE, C.CANNOT_PARSE_DATETIME, C.CANNOT_PARSE_NUMBER,
  C.CANNOT_PARSE_DOMAIN_VALUE_FROM_STRING, C.CANNOT_PARSE_IPV4, C.CANNOT_PARSE_IPV6,
  C.CANNOT_PARSE_INPUT_ASSERTION_FAILED, C.CANNOT_PARSE_UUID, C.DUPLICATE_COLUMN, C.ILLEGAL_COLUMN,
  C.UNKNOWN_ELEMENT_IN_AST, C.UNKNOWN_TYPE_OF_AST_NODE, C.THERE_IS_NO_COLUMN, C.TOO_DEEP_AST, C.TOO_BIG_AST,
  C.UNEXPECTED_AST_STRUCTURE, C.SYNTAX_ERROR, C.INCORRECT_DATA, C.TYPE_MISMATCH, C.VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE,
]);
const NOT_FOUND = new Set<number>([
  C.UNKNOWN_TABLE, C.UNKNOWN_FUNCTION, C.UNKNOWN_IDENTIFIER, C.UNKNOWN_TYPE, C.UNKNOWN_STORAGE, C.UNKNOWN_DATABASE,
  C.UNKNOWN_SETTING, C.UNKNOWN_DIRECTION_OF_SORTING, C.UNKNOWN_AGGREGATE_FUNCTION, C.UNKNOWN_FORMAT,
  C.UNKNOWN_DATABASE_ENGINE, C.UNKNOWN_TYPE_OF_QUERY, C.UNKNOWN_ROLE,
]);

/** The HTTP status ClickHouse's HTTP handler answers an exception code with (exceptionCodeToHTTPStatus). */
export function httpStatusForCode(code: number): number {
  if (code === C.REQUIRED_PASSWORD) return 401;
  if (code === C.UNKNOWN_USER || code === C.WRONG_PASSWORD || code === C.AUTHENTICATION_FAILED ||
      code === C.SET_NON_GRANTED_ROLE || code === C.ACCESS_DENIED) return 403;
  if (BAD_REQUEST.has(code)) return 400;
  if (NOT_FOUND.has(code)) return 404;
  if (code === C.QUERY_IS_TOO_LARGE) return 413;
  if (code === C.NOT_IMPLEMENTED) return 501;
  if (code === C.SOCKET_TIMEOUT || code === C.CANNOT_OPEN_FILE || code === C.CANNOT_SCHEDULE_TASK) return 503;
  if (code === C.HTTP_LENGTH_REQUIRED) return 411;
  if (code === C.TIMEOUT_EXCEEDED) return 408;
  if (code === C.UNSUPPORTED_MEDIA_TYPE) return 415;
  return 500;
}

/** An exception with a ClickHouse code, as the engine or this server raises it. */
export class ClickHouseException extends Error {
  constructor(
    readonly code: number,
    /** Message without the `Code: N. DB::Exception: ` prefix and without the `(NAME)` suffix. */
    readonly text: string,
    /** The error name, e.g. UNKNOWN_TABLE, when known. */
    readonly type: string | undefined = NAME_BY_CODE.get(code),
  ) {
    super(`Code: ${code}. DB::Exception: ${text}${type ? ` (${type})` : ''}`);
    this.name = 'ClickHouseException';
  }

  static of(name: ErrorName, text: string): ClickHouseException {
    return new ClickHouseException(ErrorCodes[name], text, name);
  }

  get httpStatus(): number {
    return httpStatusForCode(this.code);
  }

  /**
   * The response body ClickHouse sends: `Code: N. DB::Exception: text (NAME) (version V)` and a newline.
   *
   * @clickhouse/client takes the first parenthesised upper-case word of the body as the error type, so an
   * upper-case token the message itself quotes in parentheses — chDB reports `failed at position 1 (SELEC)` where
   * clickhouse-server writes `('SELEC')` — is written single-quoted, as the server does, to keep the type right.
   */
  body(version: string): string {
    const text = this.text.replace(/\(([A-Z0-9_]*[A-Z]{3}[A-Z0-9_]*)\)/g, "('$1')");
    return `Code: ${this.code}. DB::Exception: ${text}${this.type ? ` (${this.type})` : ''} (version ${version})\n`;
  }
}

const ENGINE_MESSAGE = /^Code:\s*(\d+)\.\s*(?:DB::Exception:\s*)?([\s\S]*?)(?:\s*\(([A-Z][A-Z0-9_]*)\))?(?:\s*\(version [^)]*\)?\)?)?\s*$/;

/**
 * Converts whatever the engine or the binding threw into a ClickHouseException. chDB's messages are ClickHouse's own
 * (`Code: 60. DB::Exception: … (UNKNOWN_TABLE)`); anything else becomes UNKNOWN_EXCEPTION (code 1002, HTTP 500).
 */
export function toClickHouseException(err: unknown): ClickHouseException {
  if (err instanceof ClickHouseException) return err;
  // Not `instanceof Error`: errors from the native addon may come from another realm (e.g. under jest).
  const rawMessage = (err as { message?: unknown } | null)?.message;
  const message = typeof rawMessage === 'string' ? rawMessage : String(err);
  const m = ENGINE_MESSAGE.exec(message.replace(/^[A-Za-z]*Error:\s*/, ''));
  if (m) {
    const code = Number(m[1]);
    const text = m[2]!.trim();
    // chDB sometimes wraps an exception in another with the same code: `Code: 108. DB::Exception: Code: 108. …`
    if (/^Code:\s*\d+\./.test(text)) {
      const inner = toClickHouseException({ message: text.replace(/\.$/, '') });
      if (inner.code === code) return inner;
    }
    return new ClickHouseException(code, text, m[3] ?? NAME_BY_CODE.get(code));
  }
  const chdbCode = (err as { clickhouseCode?: unknown } | null)?.clickhouseCode;
  if (typeof chdbCode === 'number') return new ClickHouseException(chdbCode, message);
  return new ClickHouseException(C.UNKNOWN_EXCEPTION, message.replace(/\s+$/, ''), 'UNKNOWN_EXCEPTION');
}

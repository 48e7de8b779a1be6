import { ClickHouseException, httpStatusForCode, toClickHouseException } from './errors';

describe('ClickHouse errors', () => {
  it('parses chDB messages into code, text and type', () => {
    const ex = toClickHouseException(new Error("Code: 60. DB::Exception: Unknown table expression identifier 'nope' in scope SELECT * FROM nope. Maybe you meant system.one?. (UNKNOWN_TABLE)"));
    expect(ex.code).toBe(60);
    expect(ex.type).toBe('UNKNOWN_TABLE');
    expect(ex.httpStatus).toBe(404);
    expect(ex.body('26.7.2.1')).toBe(
      "Code: 60. DB::Exception: Unknown table expression identifier 'nope' in scope SELECT * FROM nope. Maybe you meant system.one?. (UNKNOWN_TABLE) (version 26.7.2.1)\n",
    );
  });

  it('keeps multi-line messages and names codes it knows when the suffix is missing', () => {
    const ex = toClickHouseException('Code: 62. DB::Exception: Syntax error:\nfailed at position 1');
    expect(ex.code).toBe(62);
    expect(ex.type).toBe('SYNTAX_ERROR');
    expect(ex.text).toBe('Syntax error:\nfailed at position 1');
  });

  it('quotes upper-case tokens in parentheses so that the client finds the real type', () => {
    const ex = toClickHouseException({ message: 'Code: 62. DB::Exception: Syntax error: failed at position 1 (SELEC) (line 1, col 1): SELEC 1. (SYNTAX_ERROR)' });
    expect(ex.body('v')).toBe("Code: 62. DB::Exception: Syntax error: failed at position 1 ('SELEC') (line 1, col 1): SELEC 1. (SYNTAX_ERROR) (version v)\n");
    const re = /(Code|Error): (?<code>\d+).*Exception: (?<message>.+?)\((?<type>(?=[A-Z0-9_]*[A-Z]{3})[A-Z0-9_]+)\)/s; // @clickhouse/client's
    expect(re.exec(ex.body('v'))?.groups?.type).toBe('SYNTAX_ERROR');
  });

  it('unwraps an exception chDB nested in one with the same code', () => {
    const ex = toClickHouseException({ message: 'Code: 108. DB::Exception: Code: 108. DB::Exception: No data to insert. (NO_DATA_TO_INSERT) (version 26.7.2.1). (NO_DATA_TO_INSERT)' });
    expect(ex.message).toBe('Code: 108. DB::Exception: No data to insert. (NO_DATA_TO_INSERT)');
  });

  it('maps anything else to UNKNOWN_EXCEPTION (500)', () => {
    const ex = toClickHouseException(new TypeError('boom'));
    expect(ex.code).toBe(1002);
    expect(ex.httpStatus).toBe(500);
    expect(ex.message).toBe('Code: 1002. DB::Exception: boom (UNKNOWN_EXCEPTION)');
  });

  it('uses the status ClickHouse uses per code', () => {
    expect(httpStatusForCode(62)).toBe(400);
    expect(httpStatusForCode(27)).toBe(400);
    expect(httpStatusForCode(81)).toBe(404);
    expect(httpStatusForCode(48)).toBe(501);
    expect(httpStatusForCode(159)).toBe(408);
    expect(httpStatusForCode(395)).toBe(500);
    expect(ClickHouseException.of('READONLY', 'x').httpStatus).toBe(500);
  });
});

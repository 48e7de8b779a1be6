import { explicitOutputFormat, firstKeyword, isReadOnlyStatement, splitInsertData } from './sql';

describe('sql lexing', () => {
  it('finds the first keyword past comments', () => {
    expect(firstKeyword('  -- hi\n/* x */ select 1')).toBe('SELECT');
    expect(firstKeyword('')).toBe('');
  });

  it('finds a top-level FORMAT clause, not one inside literals, comments or subqueries', () => {
    expect(explicitOutputFormat('SELECT 1 FORMAT JSONEachRow')).toBe('JSONEachRow');
    expect(explicitOutputFormat("SELECT 'FORMAT CSV' AS s")).toBeUndefined();
    expect(explicitOutputFormat('SELECT 1 -- FORMAT CSV\n')).toBeUndefined();
    expect(explicitOutputFormat('SELECT * FROM (SELECT 1 FORMAT CSV) FORMAT JSON SETTINGS max_threads=1')).toBe('JSON');
    expect(explicitOutputFormat('SELECT `FORMAT`, "FORMAT" FROM t')).toBeUndefined();
    expect(explicitOutputFormat("SELECT 'it\\'s FORMAT X', 'a''b FORMAT Y'")).toBeUndefined();
    expect(explicitOutputFormat('INSERT INTO t FORMAT JSONEachRow')).toBeUndefined();
  });

  it('splits INSERT inline data after FORMAT <name> and its line break, or after VALUES', () => {
    const q = 'INSERT INTO t (a, b) SETTINGS x=1 FORMAT JSONEachRow\n{"a":"FORMAT CSV"}\n';
    const s = splitInsertData(q)!;
    expect(s.header).toBe('INSERT INTO t (a, b) SETTINGS x=1 FORMAT JSONEachRow');
    expect(q.slice(s.dataOffset)).toBe('{"a":"FORMAT CSV"}\n');
    const v = 'INSERT INTO t VALUES (1, \'VALUES\')';
    expect(v.slice(splitInsertData(v)!.dataOffset)).toBe(" (1, 'VALUES')");
    expect(splitInsertData('INSERT INTO t SELECT * FROM u FORMAT CSV')).toBeUndefined();
    expect(splitInsertData('SELECT 1 FORMAT CSV')).toBeUndefined();
  });

  it('classifies read-only statements (what GET may run)', () => {
    expect(isReadOnlyStatement('SELECT 1')).toBe(true);
    expect(isReadOnlyStatement('(SELECT 1) UNION ALL (SELECT 2)')).toBe(true);
    expect(isReadOnlyStatement('WITH 1 AS x SELECT x')).toBe(true);
    expect(isReadOnlyStatement('SHOW TABLES')).toBe(true);
    expect(isReadOnlyStatement('INSERT INTO t VALUES (1)')).toBe(false);
    expect(isReadOnlyStatement('DROP TABLE t')).toBe(false);
  });
});

import { FEATURE_TRANSFORM, compileInputs } from './model-inputs';
import { TrainingSetBuilder, inputMatrix, trainingSetOf } from './training-set';
import { trainingSetCsvLines, trainingSetFromCsv } from './training-set-csv';

describe('TrainingSetBuilder', () => {
  it('stores rows in columns, codes sessions and kinds once, and fills a feature first seen late with NaN', () => {
    const builder = new TrainingSetBuilder(1);
    for (let i = 0; i < 40; i++) {
      builder.add({
        sessionId: `s${i % 3}`,
        eventKind: i % 2 ? 'click' : 'page_view',
        eventTimeMs: 1000 + i,
        features: { session_events: i, ...(i >= 30 ? { late: 1 } : {}), ...(i === 5 ? { broken: null } : {}) },
        label: i % 5 === 0 ? 1 : 0,
      });
    }
    const set = builder.build();
    expect(set.rows).toBe(40);
    expect(set.sessionIds).toEqual(['s0', 's1', 's2']);
    expect(set.eventKinds).toEqual(['page_view', 'click']);
    expect(set.featureNames).toEqual(['session_events', 'broken', 'late']);
    expect(Array.from(set.features[0]!)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(Array.from(set.features[2]!.subarray(28, 32))).toEqual([Number.NaN, Number.NaN, 1, 1]);
    expect(set.features[1]!.every(Number.isNaN)).toBe(true);
    expect(set.sessionCodes[4]).toBe(1);
    expect(set.labels.reduce((a, b) => a + b, 0)).toBe(8);
  });
});

describe('inputMatrix', () => {
  it('derives the inputs of each row exactly as the scorer derives them from that feature vector', () => {
    const rows = [
      { sessionId: 'a', eventKind: 'add_to_cart', eventTimeMs: 1, features: { session_events: 3, session_add_to_carts: 1, session_duration_s: 9 }, label: 1 as const },
      { sessionId: 'b', eventKind: 'search', eventTimeMs: 2, features: { session_events: 1 } as Record<string, number>, label: 0 as const },
    ];
    const names = ['event_kind_add_to_cart', 'event_kind_search', 'log1p_session_events', 'has_cart', 'seconds_per_event', 'session_add_to_carts'];
    const matrix = inputMatrix(trainingSetOf(rows), [1, 0], names, FEATURE_TRANSFORM);
    const derive = compileInputs(names, FEATURE_TRANSFORM);
    const expected = [rows[1]!, rows[0]!].flatMap((r) => {
      const out = new Float64Array(names.length);
      derive({ eventKind: r.eventKind, features: r.features }, out);
      return Array.from(out);
    });
    expect(Array.from(matrix)).toEqual(expected);
    expect(expected.slice(0, 6)).toEqual([0, 1, Math.log(2), Number.NaN, Number.NaN, Number.NaN]);
  });
});

describe('training sets as CSV', () => {
  it('round-trips, absent features included', () => {
    const set = trainingSetOf([
      { sessionId: 'a1', eventKind: 'page_view', eventTimeMs: 1_700_000_000_123, features: { session_events: 1, session_cart_value: 12.5 }, label: 0 },
      { sessionId: 'b2', eventKind: 'add_to_cart', eventTimeMs: 1_700_000_000_456, features: { session_events: 2 }, label: 1 },
    ]);
    const lines = [...trainingSetCsvLines(set)];
    expect(lines).toEqual([
      'session_id,event_kind,event_ms,label,session_events,session_cart_value',
      'a1,page_view,1700000000123,0,1,12.5',
      'b2,add_to_cart,1700000000456,1,2,',
    ]);
    expect(trainingSetFromCsv(`${lines.join('\n')}\n`)).toEqual(set);
    expect(() => trainingSetFromCsv('a,b\n')).toThrow(/expected a header/);
  });
});

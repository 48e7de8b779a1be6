import {
  SCORE_BUCKETS,
  DEAD_LETTER_WINDOW_H,
  MODEL_RUNS_WINDOW_H,
  deadLettersQuery,
  liveFunnelQuery,
  liveViewQueries,
  modelsQuery,
  predictionTailQuery,
  scoreHistogramQuery,
  toDeadLetters,
  toFunnel,
  toModelRuns,
  toScoreHistogram,
  toTail,
} from './live-view.queries';

const NOW = Date.UTC(2026, 10, 29, 12, 0, 0, 250);

describe('live view queries', () => {
  it('asks the analytics funnel (the SQL of the API and the CLI) for the window ending a minute ahead of now, as parameters', () => {
    const q = liveFunnelQuery(NOW, 15);
    expect(q.query).toContain('windowFunnel({window:UInt64})');
    expect(q.query_params).toEqual({ from: '2026-11-29 11:45:00.250', to: '2026-11-29 12:01:00.250', window: 3600, s0: 'page_view', s1: 'add_to_cart', s2: 'purchase' });
  });

  it('passes every value as a query parameter, none in the SQL text', () => {
    const queries = [liveFunnelQuery(NOW, 5), modelsQuery("o'brien", NOW), scoreHistogramQuery(NOW, 5, "x' OR 1=1"), predictionTailQuery(NOW), deadLettersQuery(NOW)];
    for (const q of queries) {
      expect(q.query).not.toContain("o'brien");
      expect(q.query).not.toContain('OR 1=1');
      expect(q.query).not.toMatch(/2026-11-29/);
    }
    expect(modelsQuery("o'brien", NOW).query_params.model).toBe("o'brien");
    expect(scoreHistogramQuery(NOW, 5, 'm').query_params).toEqual({ buckets: SCORE_BUCKETS, since: '2026-11-29 11:55:00.250', model: 'm' });
    expect(predictionTailQuery(NOW).query_params.since).toBe('2026-11-29 11:50:00.250');
  });

  it('bounds every periodic query by a time window (what keeps its cost from growing with history)', () => {
    const queries = liveViewQueries(NOW, 15, 'm');
    expect(Object.keys(queries).sort()).toEqual(['dead letters', 'funnel', 'models', 'scores', 'tail']);
    expect(queries.funnel.query_params.from).toBe('2026-11-29 11:45:00.250');
    expect(queries.scores.query).toMatch(/WHERE predicted_at >= \{since:DateTime64\(3\)\}/);
    expect(queries.tail.query).toMatch(/WHERE predicted_at >= \{since:DateTime64\(3\)\}/);
    expect(queries.models.query).toMatch(/WHERE model_name = \{model:String\} AND trained_at >= \{since:DateTime64\(3\)\}/);
    expect(queries.models.query_params.since).toBe(new Date(NOW - MODEL_RUNS_WINDOW_H * 3600_000).toISOString().replace('T', ' ').replace('Z', ''));
    expect(queries['dead letters'].query).toMatch(/WHERE failed_at >= \{since:DateTime64\(3\)\}/);
    expect(queries['dead letters'].query_params.since).toBe('2026-11-28 12:00:00.250');
    expect(DEAD_LETTER_WINDOW_H).toBe(24);
  });

  it('shapes the funnel row into numbers (UInt64 arrive as strings), and none when no session fell in the window', () => {
    expect(toFunnel([{ dimension: '', sessions: '40', reached: ['30', '12', '3'] }])).toEqual({
      sessions: 40,
      viewed: 30,
      addedToCart: 12,
      purchased: 3,
      pView: 0.75,
      pCartGivenView: 0.4,
      pPurchaseGivenCart: 0.25,
      pPurchase: 0.75 * 0.4 * 0.25,
    });
    expect(toFunnel([{ dimension: '', sessions: '0', reached: ['0', '0', '0'] }])).toBeUndefined();
    expect(toFunnel([])).toBeUndefined();
  });

  it('orders model runs oldest first and keeps an unmeasurable AUC (NaN comes as null) as null', () => {
    const runs = toModelRuns([
      { version: '3', promoted: true, decision: 'promoted', trained_ms: '2000', auc: 0.81, rows: '900' },
      { version: null, promoted: false, decision: 'worse log loss', trained_ms: '3000', auc: null, rows: '950' },
      { version: '2', promoted: 1, decision: 'promoted', trained_ms: '1000', auc: 0.78, rows: '800' },
    ]);
    expect(runs.map((r) => [r.version, r.promoted, r.trainedMs, r.auc])).toEqual([
      [2, true, 1000, 0.78],
      [3, true, 2000, 0.81],
      [null, false, 3000, null],
    ]);
  });

  it('fills every score bucket, zero where no score fell, and ignores buckets out of range', () => {
    const counts = toScoreHistogram([
      { bucket: 0, n: '5' },
      { bucket: 19, n: '2' },
      { bucket: 20, n: '9' },
      { bucket: -1, n: '9' },
      { bucket: 'x', n: '9' },
    ]);
    expect(counts).toHaveLength(SCORE_BUCKETS);
    expect(counts[0]).toBe(5);
    expect(counts[19]).toBe(2);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(7);
  });

  it('shapes the tail and the dead-letter groups', () => {
    const explanation = JSON.stringify({ intercept: -2, logit: -0.3, top: [{ input: 'has_cart', value: 1, contribution: 1.9 }, { input: 'session_events', value: 2, contribution: -0.2 }] });
    expect(
      toTail([
        { user_key: 'u1', session_id: 's1', model_version: '4', probability: 0.42, event_ms: '10', predicted_ms: '12', explanation },
        { user_key: 'u2', session_id: 's2', model_version: '4', probability: 0.1, event_ms: '10', predicted_ms: '11', explanation: '' },
      ]),
    ).toEqual([
      { userKey: 'u1', sessionId: 's1', modelVersion: 4, probability: 0.42, eventMs: 10, predictedMs: 12, why: [{ input: 'has_cart', contribution: 1.9 }, { input: 'session_events', contribution: -0.2 }] },
      // From before explanations: none to show.
      { userKey: 'u2', sessionId: 's2', modelVersion: 4, probability: 0.1, eventMs: 10, predictedMs: 11, why: [] },
    ]);
    expect(toDeadLetters([{ stage: 'enricher', reason_text: 'required for purchase events', n: '7', last_ms: '99' }])).toEqual([
      { stage: 'enricher', reason: 'required for purchase events', count: 7, lastMs: 99 },
    ]);
  });
});

import { describeRates, requestRates } from './kafka-requests';

describe('Kafka request rates', () => {
  it('per stage and API between two readings, skipping stages read only once', () => {
    const before = { enricher: { Fetch: 100, Produce: 50 }, scorer: { Fetch: 10 } };
    const after = { enricher: { Fetch: 160, Produce: 50, EndTxn: 20 }, scorer: { Fetch: 40 }, sink: { Fetch: 5 } };
    expect(requestRates(before, after, 10)).toEqual({ enricher: { Fetch: 6, EndTxn: 2 }, scorer: { Fetch: 3 } });
  });

  it('describes a stage by its total and largest APIs', () => {
    expect(describeRates({ Fetch: 6, EndTxn: 2, Produce: 0.4 }, 2)).toBe('8 (Fetch 6, EndTxn 2)');
    expect(describeRates({})).toBe('0');
  });
});

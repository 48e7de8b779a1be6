import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CANDIDATE_INPUTS, DERIVED_INPUTS, FEATURE_TRANSFORM, RAW_FEATURE_TRANSFORM, compileInputs, modelInputs } from './model-inputs';

const vector = {
  eventKind: 'add_to_cart',
  features: { session_events: 4, session_add_to_carts: 1, session_cart_value: 59.9, session_duration_s: 10, session_clicks: 0 },
};

describe('modelInputs', () => {
  it('derives the event-kind one-hot, log-scaled counters, has_cart and seconds per event', () => {
    const inputs = modelInputs(vector, ['event_kind_add_to_cart', 'event_kind_page_view', 'log1p_session_cart_value', 'log1p_session_clicks', 'has_cart', 'seconds_per_event', 'session_events']);
    expect(inputs).toEqual({
      event_kind_add_to_cart: 1,
      event_kind_page_view: 0,
      log1p_session_cart_value: Math.log1p(59.9),
      log1p_session_clicks: 0,
      has_cart: 1,
      seconds_per_event: 2.5,
      session_events: 4,
    });
  });

  it('leaves an input missing (NaN, scored as its training mean) when the feature it needs is absent or invalid', () => {
    const inputs = modelInputs({ eventKind: 'click', features: { session_searches: -1 } }, ['log1p_session_searches', 'has_cart', 'seconds_per_event', 'user_prior_sessions']);
    expect(Object.values(inputs).every(Number.isNaN)).toBe(true);
  });

  it('under the raw transform (models from before inputs were derived) takes every name as a session feature', () => {
    expect(modelInputs(vector, ['session_events', 'has_cart'], RAW_FEATURE_TRANSFORM)).toEqual({ session_events: 4, has_cart: Number.NaN });
  });

  it('refuses a transform this build does not know, so no model is scored with inputs computed another way', () => {
    expect(() => compileInputs(['session_events'], 'telltale.inputs.v999')).toThrow(/unknown feature transform "telltale.inputs.v999"/);
  });

  it('offers only inputs it can compute, each once', () => {
    expect(new Set(CANDIDATE_INPUTS).size).toBe(CANDIDATE_INPUTS.length);
    const derived = CANDIDATE_INPUTS.filter((name) => DERIVED_INPUTS.has(name));
    expect(derived.length).toBeGreaterThan(10);
    expect(FEATURE_TRANSFORM).toMatch(/^telltale\.inputs\.v\d+$/);
  });

  it('has every input the trainer offers documented in the README', () => {
    const readme = readFileSync(path.resolve(__dirname, '../../../README.md'), 'utf8');
    const undocumented = [...new Set([...CANDIDATE_INPUTS, ...DERIVED_INPUTS.keys()])].filter((name) => !readme.includes(`\`${name}\``));
    expect(undocumented).toEqual([]);
  });
});

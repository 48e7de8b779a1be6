/**
 * The ONE place where a model's inputs are derived from what the enricher publishes (a FeatureVector: the triggering
 * event's kind and the session features). The trainer derives its training inputs with it, row by row, and the
 * scorer derives the live inputs with it, so training and serving cannot diverge.
 *
 * A model names its inputs (Model.featureNames) and the transform they come from (Model.featureTransform). An input
 * name is either one of DERIVED_INPUTS below or the name of a session feature, taken as it is.
 */
import { DEVICE_FEATURE_NAMES, LANDING_FEATURE_NAMES, SESSION_FEATURE_NAMES, TIME_FEATURE_NAMES, type SessionFeatureName } from '@telltale/contracts';

/** What the scorer gets in a FeatureVector, and what a training row holds. */
export interface FeatureSource {
  eventKind: string;
  features: Readonly<Record<string, number>>;
}

/**
 * Id of the transform this code implements, stored in every model it trains. Change it whenever an input's meaning
 * changes or one is added: a scorer that does not know a model's transform keeps its current model instead of
 * scoring the new one with inputs it would compute differently.
 */
export const FEATURE_TRANSFORM = 'telltale.inputs.v1';

/** Models trained before transforms had an id use session features as they are (schemas/history/model.v1.avsc). */
export const RAW_FEATURE_TRANSFORM = 'raw';

export const KNOWN_FEATURE_TRANSFORMS: readonly string[] = [RAW_FEATURE_TRANSFORM, FEATURE_TRANSFORM];

/** Event kinds that get a one-hot input (identify has no feature vector; a purchase ends what we predict). */
export const ONE_HOT_EVENT_KINDS = ['page_view', 'click', 'search', 'add_to_cart', 'other'] as const;

/** Session counters and amounts whose log1p is an input: their effect on the log-odds flattens as they grow. */
export const LOG_SCALED_FEATURES = SESSION_FEATURE_NAMES.filter(
  (name): name is Exclude<SessionFeatureName, (typeof TIME_FEATURE_NAMES)[number]> => !(TIME_FEATURE_NAMES as readonly string[]).includes(name),
);

/**
 * Session features that encode the wall clock. With less data than TIME_FEATURE_MIN_SPAN_DAYS they mostly encode
 * "how long ago" (the traffic drifts over the hours a data set spans), and a model that learned them shifts every live
 * score as the clock moves on; the trainer leaves them out until the training data spans enough days.
 */
export const TIME_FEATURE_MIN_SPAN_DAYS: Readonly<Record<string, number>> = {
  hour_sin: 7, // every hour of the day seen on a week of days
  hour_cos: 7,
  is_weekend: 28, // four weekends, so one odd weekend is not "the weekend effect"
};

/** A missing value: standardisation treats it as the training mean (z = 0). */
const MISSING = Number.NaN;

function value(source: FeatureSource, name: string): number {
  const x = source.features[name];
  return x === undefined ? MISSING : x;
}

/** log1p of a non-negative amount; a negative value (a corrupt counter) is missing rather than NaN by accident. */
function log1pOf(source: FeatureSource, name: string): number {
  const x = value(source, name);
  return x >= 0 ? Math.log1p(x) : MISSING;
}

type InputFunction = (source: FeatureSource) => number;

/** Inputs computed from other features; every other input name is a session feature taken as it is. */
export const DERIVED_INPUTS: ReadonlyMap<string, InputFunction> = new Map<string, InputFunction>([
  ...ONE_HOT_EVENT_KINDS.map((kind): [string, InputFunction] => [`event_kind_${kind}`, (s) => (s.eventKind === kind ? 1 : 0)]),
  ...LOG_SCALED_FEATURES.map((name): [string, InputFunction] => [`log1p_${name}`, (s) => log1pOf(s, name)]),
  [
    'has_cart',
    (s) => {
      const carts = value(s, 'session_add_to_carts');
      return Number.isNaN(carts) ? MISSING : carts > 0 ? 1 : 0;
    },
  ],
  [
    // Dwell per event: engaged visitors linger; the events count alone cannot tell a fast clicker from a reader.
    'seconds_per_event',
    (s) => {
      const duration = value(s, 'session_duration_s');
      const events = value(s, 'session_events');
      return events >= 1 ? duration / events : MISSING;
    },
  ],
]);

/**
 * The inputs the trainer offers a model, before it drops those that are constant in the training data and gates
 * the time features. Measured on pipeline traffic (README "Model"): the log-scaled counters carry most of what the
 * raw counters miss; the event kind and the two ratios add little but cost nothing. The device type and the
 * landing referrer class (README "Enrichments") add a little on simulated traffic whose conversion differs by both.
 */
export const CANDIDATE_INPUTS: readonly string[] = [
  ...LOG_SCALED_FEATURES,
  ...ONE_HOT_EVENT_KINDS.map((kind) => `event_kind_${kind}`),
  ...LOG_SCALED_FEATURES.map((name) => `log1p_${name}`),
  'has_cart',
  'seconds_per_event',
  // NOTE: session features taken as they are, so a scorer of any build computes them alike: no new transform id.
  ...DEVICE_FEATURE_NAMES,
  ...LANDING_FEATURE_NAMES,
  ...Object.keys(TIME_FEATURE_MIN_SPAN_DAYS),
];

/**
 * Compiles the computation of `inputNames` (in that order) under `transform`. Unknown transforms throw: the caller
 * must not score with inputs it cannot compute. Under the raw transform every name is a session feature.
 */
export function compileInputs(inputNames: readonly string[], transform: string): (source: FeatureSource, out: Float64Array) => void {
  if (!KNOWN_FEATURE_TRANSFORMS.includes(transform)) {
    throw new Error(`unknown feature transform ${JSON.stringify(transform)} (this build knows ${KNOWN_FEATURE_TRANSFORMS.join(', ')})`);
  }
  const functions = inputNames.map((name): InputFunction => {
    const derived = transform === FEATURE_TRANSFORM ? DERIVED_INPUTS.get(name) : undefined;
    return derived ?? ((s) => value(s, name));
  });
  return (source, out) => {
    for (let i = 0; i < functions.length; i++) out[i] = functions[i]!(source);
  };
}

/** The inputs of one source as a name → value map (NaN = missing): for inspection and tests. */
export function modelInputs(source: FeatureSource, inputNames: readonly string[], transform = FEATURE_TRANSFORM): Record<string, number> {
  const out = new Float64Array(inputNames.length);
  compileInputs(inputNames, transform)(source, out);
  return Object.fromEntries(inputNames.map((name, i) => [name, out[i]!]));
}

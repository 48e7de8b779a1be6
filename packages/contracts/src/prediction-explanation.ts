// A prediction's explanation travels beside the record, in a Kafka header, not in the Avro value.
//
// TRICKY: why not a field of schemas/prediction.avsc. Records are Avro single-object encoded: the value starts with the
// fingerprint of the writer's schema, and a reader decodes only fingerprints it knows. A subscriber built against
// today's prediction.avsc (they exist outside this repository) would fail on every record written with a schema that
// has one more field, default or not, until it learnt the new schema. A header leaves the value, its schema and its
// fingerprint exactly as they were: old subscribers decode every record and never look at the header; new ones read it.
// (How a subscriber learns a new schema when the value's schema does change: README "Subscribing to predictions".)

/** The header on every record of the predictions topic: JSON of PredictionExplanation, UTF-8. */
export const PREDICTION_EXPLANATION_HEADER = 'telltale-explanation';

export interface ExplanationInput {
  /** The model input (Model.featureNames). */
  input: string;
  /** Its value for this visitor before standardisation; null when missing (it then counts as the mean). */
  value: number | null;
  /** coefficient × standardised value: how far it moved the log-odds from the average visitor's. */
  contribution: number;
}

/** Why the model gave the probability: the average visitor's log-odds, this visitor's, and the three inputs that moved it most. */
export interface PredictionExplanation {
  intercept: number;
  logit: number;
  top: ExplanationInput[];
}

export function encodeExplanationHeader(e: PredictionExplanation): string {
  return JSON.stringify({ intercept: e.intercept, logit: e.logit, top: e.top.map((c) => ({ input: c.input, value: c.value, contribution: c.contribution })) });
}

const isNumber = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

/** The header's explanation, or null when it is absent or not one (a record from before explanations, another writer). */
export function decodeExplanationHeader(value: Buffer | string | undefined | null): PredictionExplanation | null {
  if (value === undefined || value === null) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof value === 'string' ? value : value.toString('utf8'));
  } catch {
    return null;
  }
  const e = parsed as Partial<PredictionExplanation> | null;
  if (!e || !isNumber(e.intercept) || !isNumber(e.logit) || !Array.isArray(e.top)) return null;
  const top = e.top.filter((c): c is ExplanationInput => typeof c?.input === 'string' && isNumber(c.contribution) && (c.value === null || isNumber(c.value)));
  return top.length === e.top.length ? { intercept: e.intercept, logit: e.logit, top } : null;
}

import { TrainingSetBuilder, type TrainingSet } from './training-set';

/**
 * A training set as CSV, for tools outside the pipeline (the bench's scikit-learn baselines, a notebook): a header
 * `session_id,event_kind,event_ms,label,<session features…>`, one row per labelled snapshot, an absent feature as an
 * empty field. Session ids and event kinds are identifiers (hex, snake_case), so no field needs quoting.
 */
export function* trainingSetCsvLines(set: TrainingSet): Generator<string> {
  yield ['session_id', 'event_kind', 'event_ms', 'label', ...set.featureNames].join(',');
  for (let i = 0; i < set.rows; i++) {
    const fields = [set.sessionIds[set.sessionCodes[i]!]!, set.eventKinds[set.eventKindCodes[i]!]!, String(set.eventTimeMs[i]), String(set.labels[i])];
    for (const column of set.features) {
      const v = column[i]!;
      fields.push(Number.isNaN(v) ? '' : String(v));
    }
    yield fields.join(',');
  }
}

const FIXED = ['session_id', 'event_kind', 'event_ms', 'label'];

/** Reads what trainingSetCsvLines wrote. Throws on a header or row that does not fit. */
export function trainingSetFromCsv(text: string): TrainingSet {
  const lines = text.split('\n').filter((line) => line.length > 0);
  const header = lines[0]?.split(',') ?? [];
  if (FIXED.some((name, i) => header[i] !== name)) throw new Error(`expected a header starting ${FIXED.join(',')}, got ${lines[0]}`);
  const names = header.slice(FIXED.length);
  const builder = new TrainingSetBuilder(lines.length);
  for (let n = 1; n < lines.length; n++) {
    const fields = lines[n]!.split(',');
    if (fields.length !== header.length) throw new Error(`line ${n + 1} has ${fields.length} fields, the header ${header.length}`);
    const features: Record<string, number> = {};
    names.forEach((name, j) => {
      const field = fields[FIXED.length + j]!;
      if (field !== '') features[name] = Number(field);
    });
    builder.add({ sessionId: fields[0]!, eventKind: fields[1]!, eventTimeMs: Number(fields[2]), label: fields[3] === '1' ? 1 : 0, features });
  }
  return builder.build();
}

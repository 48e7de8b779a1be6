import { compileInputs } from './model-inputs';

/**
 * Labelled feature snapshots in columns: typed arrays, so a million rows take tens of megabytes instead of a
 * gigabyte of objects, and move to a worker thread without a copy. Session ids and event kinds are stored once and
 * referenced by code.
 */
export interface TrainingSet {
  rows: number;
  /** Names of the session features, one column each. */
  featureNames: string[];
  /** Per feature name, one value per row; NaN where the snapshot lacked the feature. */
  features: Float64Array[];
  eventKinds: string[];
  /** Per row, an index into eventKinds. */
  eventKindCodes: Uint16Array;
  sessionIds: string[];
  /** Per row, an index into sessionIds. */
  sessionCodes: Int32Array;
  /** Per row, the snapshot's event time (UTC ms). */
  eventTimeMs: Float64Array;
  /** Per row, 1 = the session purchased after this snapshot. */
  labels: Uint8Array;
}

export interface TrainingRowInput {
  sessionId: string;
  eventKind: string;
  eventTimeMs: number;
  features: Readonly<Record<string, number | null | undefined>>;
  label: 0 | 1;
}

/** Collects rows into a TrainingSet, growing its arrays as needed; a feature first seen late is NaN before. */
export class TrainingSetBuilder {
  private capacity: number;
  private count = 0;
  private readonly featureIndex = new Map<string, number>();
  private features: Float64Array[] = [];
  private readonly kindIndex = new Map<string, number>();
  private readonly sessionIndex = new Map<string, number>();
  private eventKindCodes: Uint16Array;
  private sessionCodes: Int32Array;
  private eventTimeMs: Float64Array;
  private labels: Uint8Array;

  constructor(expectedRows = 1024) {
    this.capacity = Math.max(16, expectedRows);
    this.eventKindCodes = new Uint16Array(this.capacity);
    this.sessionCodes = new Int32Array(this.capacity);
    this.eventTimeMs = new Float64Array(this.capacity);
    this.labels = new Uint8Array(this.capacity);
  }

  get rows(): number {
    return this.count;
  }

  add(row: TrainingRowInput): void {
    if (this.count === this.capacity) this.grow();
    const i = this.count++;
    this.eventKindCodes[i] = codeOf(this.kindIndex, row.eventKind);
    this.sessionCodes[i] = codeOf(this.sessionIndex, row.sessionId);
    this.eventTimeMs[i] = row.eventTimeMs;
    this.labels[i] = row.label;
    for (const name in row.features) {
      let column = this.featureIndex.get(name);
      if (column === undefined) {
        column = this.features.length;
        this.featureIndex.set(name, column);
        this.features.push(new Float64Array(this.capacity).fill(Number.NaN));
      }
      const value = row.features[name];
      // NaN/Infinity arrive as null from ClickHouse's JSON: missing, like an absent feature.
      this.features[column]![i] = typeof value === 'number' && Number.isFinite(value) ? value : Number.NaN;
    }
  }

  build(): TrainingSet {
    const n = this.count;
    return {
      rows: n,
      featureNames: [...this.featureIndex.keys()],
      features: this.features.map((f) => f.slice(0, n)),
      eventKinds: [...this.kindIndex.keys()],
      eventKindCodes: this.eventKindCodes.slice(0, n),
      sessionIds: [...this.sessionIndex.keys()],
      sessionCodes: this.sessionCodes.slice(0, n),
      eventTimeMs: this.eventTimeMs.slice(0, n),
      labels: this.labels.slice(0, n),
    };
  }

  private grow(): void {
    this.capacity *= 2;
    const bigger = <A extends Float64Array | Uint8Array | Uint16Array | Int32Array>(old: A, make: (n: number) => A, fill?: number): A => {
      const next = make(this.capacity);
      if (fill !== undefined) next.fill(fill);
      next.set(old);
      return next;
    };
    this.eventKindCodes = bigger(this.eventKindCodes, (n) => new Uint16Array(n));
    this.sessionCodes = bigger(this.sessionCodes, (n) => new Int32Array(n));
    this.eventTimeMs = bigger(this.eventTimeMs, (n) => new Float64Array(n));
    this.labels = bigger(this.labels, (n) => new Uint8Array(n));
    this.features = this.features.map((f) => bigger(f, (n) => new Float64Array(n), Number.NaN));
  }
}

function codeOf(index: Map<string, number>, key: string): number {
  let code = index.get(key);
  if (code === undefined) {
    code = index.size;
    index.set(key, code);
  }
  return code;
}

export function trainingSetOf(rows: Iterable<TrainingRowInput>): TrainingSet {
  const builder = new TrainingSetBuilder();
  for (const row of rows) builder.add(row);
  return builder.build();
}

/** Rows `indices` of the set as a row-major matrix of `inputNames`, derived by the shared transform (NaN = missing). */
export function inputMatrix(set: TrainingSet, indices: ArrayLike<number>, inputNames: readonly string[], transform: string): Float64Array {
  const compute = compileInputs(inputNames, transform);
  const cols = inputNames.length;
  const out = new Float64Array(indices.length * cols);
  const row = new Float64Array(cols);
  // One mutable source reused for every row: the transform reads it, never keeps it. NaN is how every input treats
  // an absent feature, so an absent value is written as NaN rather than deleted (which would slow every lookup).
  const features: Record<string, number> = {};
  const source = { eventKind: '', features };
  for (let r = 0; r < indices.length; r++) {
    const i = indices[r]!;
    for (let f = 0; f < set.featureNames.length; f++) features[set.featureNames[f]!] = set.features[f]![i]!;
    source.eventKind = set.eventKinds[set.eventKindCodes[i]!]!;
    compute(source, row);
    out.set(row, r * cols);
  }
  return out;
}

/**
 * Do device type and referrer class help the purchase model? (issue 8: they join the feature vector only if they do.)
 *
 * Synthetic shoppers (the traffic generator's simulator, simulated clock) go through the enricher's own logic
 * (EventEnricher: cleaning, sessions, features, context enrichments), in process; training rows follow the trainer's
 * rules (bot sessions out, snapshots before the first purchase, label = a purchase later in the session). The project's
 * learner is fitted on the trainer's split with the trainer's inputs less the context ones, then with the device type
 * (device_*), the landing referrer class (landing_*) and both (the trainer's inputs), and the AUCs are compared with a
 * paired bootstrap over test sessions.
 *
 * Usage: node --import tsx infra/bench/src/ml-context-inputs.main.ts [simulated minutes = 20] [events/s = 200] [seeds = 3]
 */
import { DEVICE_FEATURE_NAMES, LANDING_FEATURE_NAMES, type RawEvent } from '@telltale/contracts';
import { CANDIDATE_INPUTS, TrainingSetBuilder, evaluate, fitOnRows, labelsOf, rocAuc, scoreRows, splitTrainingSet, type TrainingSet } from '@telltale/model';
import { EventEnricher } from '../../../services/enricher/src/event-enricher';
import { TrafficSimulator, type SegmentEvent } from '../../traffic-generator/src';

const [minutes = 20, eventsPerS = 200, seeds = 3] = process.argv.slice(2).map(Number);
const SPLIT = { testFraction: 0.25, holdoutFraction: 0.2, seed: 'telltale' };
const START_MS = Date.parse('2026-11-02T09:00:00Z');

const CONTEXT_INPUTS: readonly string[] = [...DEVICE_FEATURE_NAMES, ...LANDING_FEATURE_NAMES];
const WITHOUT_CONTEXT = CANDIDATE_INPUTS.filter((name) => !CONTEXT_INPUTS.includes(name));

interface SessionFacts {
  bot: boolean;
  firstPurchaseMs: number;
}

function rawEventOf(e: SegmentEvent): RawEvent {
  const timestamp = Date.parse(e.timestamp);
  return {
    messageId: e.messageId,
    type: e.type,
    event: e.event ?? e.name ?? null,
    userId: e.userId ?? null,
    anonymousId: e.anonymousId,
    timestamp,
    sentAt: null,
    receivedAt: timestamp,
    properties: JSON.stringify(e.properties),
    context: JSON.stringify(e.context),
    source: 'bench',
  };
}

function trainingSetOfSeed(seed: number): { set: TrainingSet; sessions: number; botSessions: number; events: number } {
  const simulator = new TrafficSimulator({ seed, eventsPerSecond: eventsPerS });
  // The enricher's defaults (services/enricher/src/enricher.config.ts), with room for every visitor of the run.
  const enricher = new EventEnricher({
    sessionTimeoutMs: 30 * 60_000,
    latenessMs: 5 * 60_000,
    maxFutureMs: 60_000,
    dedupeWindowMs: 24 * 3_600_000,
    dedupeCapacity: 2_000_000,
    maxVisitors: 2_000_000,
  });
  const facts = new Map<string, SessionFacts>();
  const snapshots: Array<{ sessionId: string; eventKind: string; eventTimeMs: number; features: Record<string, number> }> = [];
  let events = 0;
  for (let t = 0; t <= minutes * 60_000; t += 100) {
    for (const segmentEvent of simulator.tick(START_MS + t)) {
      events += 1;
      const result = enricher.enrich(rawEventOf(segmentEvent));
      if (result.outcome !== 'enriched') throw new Error(`the generator's event ${segmentEvent.messageId} was ${result.outcome}`);
      const { clean, features } = result;
      let session = facts.get(clean.sessionId);
      if (session === undefined) {
        session = { bot: false, firstPurchaseMs: Number.POSITIVE_INFINITY };
        facts.set(clean.sessionId, session);
      }
      session.bot ||= clean.isBot;
      if (clean.kind === 'purchase') session.firstPurchaseMs = Math.min(session.firstPurchaseMs, clean.eventTime);
      if (features) snapshots.push({ sessionId: features.sessionId, eventKind: features.eventKind, eventTimeMs: features.eventTime, features: features.features });
    }
  }
  // Sessions still open at the end have not had their chance to buy: leave out the last 2 minutes, as the label delay does.
  const cutoffMs = START_MS + minutes * 60_000 - 2 * 60_000;
  const builder = new TrainingSetBuilder(snapshots.length);
  for (const s of snapshots) {
    const session = facts.get(s.sessionId)!;
    if (session.bot || s.eventTimeMs > cutoffMs || s.eventTimeMs >= session.firstPurchaseMs) continue;
    builder.add({
      sessionId: s.sessionId,
      eventKind: s.eventKind,
      eventTimeMs: s.eventTimeMs,
      features: s.features,
      label: Number.isFinite(session.firstPurchaseMs) ? 1 : 0,
    });
  }
  const botSessions = [...facts.values()].filter((f) => f.bot).length;
  return { set: builder.build(), sessions: facts.size, botSessions, events };
}

/** Paired bootstrap over sessions of AUC(with) − AUC(without) on `rows`: the 2.5 % and 97.5 % quantiles. */
function bootstrapDifference(set: TrainingSet, rows: Int32Array, without: Float64Array, withExtra: Float64Array, seed: number): [number, number] {
  const bySession = new Map<number, number[]>();
  rows.forEach((row, i) => {
    const code = set.sessionCodes[row]!;
    const list = bySession.get(code) ?? [];
    list.push(i);
    bySession.set(code, list);
  });
  const groups = [...bySession.values()];
  let state = seed >>> 0 || 1;
  const random = () => ((state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0) / 2 ** 32);
  const labels = labelsOf(set, rows);
  const differences: number[] = [];
  for (let b = 0; b < 200; b++) {
    const picked: number[] = [];
    for (let g = 0; g < groups.length; g++) picked.push(...groups[Math.floor(random() * groups.length)]!);
    const y = picked.map((i) => labels[i]!);
    differences.push(rocAuc(y, picked.map((i) => withExtra[i]!)) - rocAuc(y, picked.map((i) => without[i]!)));
  }
  differences.sort((a, b) => a - b);
  return [differences[4]!, differences[194]!];
}

const fmt = (x: number) => x.toFixed(4);
const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(4)}`;

const variants: Array<{ label: string; inputs: readonly string[] }> = [
  { label: '+ device type', inputs: [...WITHOUT_CONTEXT, ...DEVICE_FEATURE_NAMES] },
  { label: '+ landing referrer class', inputs: [...WITHOUT_CONTEXT, ...LANDING_FEATURE_NAMES] },
  { label: '+ both (the trainer\'s inputs)', inputs: CANDIDATE_INPUTS },
];

console.log(`${minutes} simulated minutes at ${eventsPerS} events/s per seed; the trainer's split ${JSON.stringify(SPLIT)}\n`);
console.log('| seed | rows (sessions, bot sessions left out) | inputs | test AUC | Δ test (95 % CI) | holdout AUC | Δ holdout (95 % CI) |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (let seed = 1; seed <= seeds; seed++) {
  const { set, sessions, botSessions } = trainingSetOfSeed(seed);
  const split = splitTrainingSet(set, SPLIT);
  const base = fitOnRows(set, split.train, { candidates: WITHOUT_CONTEXT });
  const baseTest = scoreRows(base.model, set, split.test);
  const baseHoldout = scoreRows(base.model, set, split.holdout);
  const rowsLabel = `${set.rows} (${sessions}, ${botSessions})`;
  const baseEval = { test: evaluate(labelsOf(set, split.test), baseTest).auc, holdout: evaluate(labelsOf(set, split.holdout), baseHoldout).auc };
  console.log(`| ${seed} | ${rowsLabel} | the trainer's inputs less device and landing | ${fmt(baseEval.test)} | | ${fmt(baseEval.holdout)} | |`);
  for (const variant of variants) {
    const fitted = fitOnRows(set, split.train, { candidates: variant.inputs });
    const test = scoreRows(fitted.model, set, split.test);
    const holdout = scoreRows(fitted.model, set, split.holdout);
    const testAuc = evaluate(labelsOf(set, split.test), test).auc;
    const holdoutAuc = evaluate(labelsOf(set, split.holdout), holdout).auc;
    const [testLo, testHi] = bootstrapDifference(set, split.test, baseTest, test, seed);
    const [holdLo, holdHi] = bootstrapDifference(set, split.holdout, baseHoldout, holdout, seed + 100);
    console.log(
      `| ${seed} | ${rowsLabel} | ${variant.label} | ${fmt(testAuc)} | ${signed(testAuc - baseEval.test)} (${signed(testLo)} to ${signed(testHi)}) | ${fmt(holdoutAuc)} | ${signed(holdoutAuc - baseEval.holdout)} (${signed(holdLo)} to ${signed(holdHi)}) |`,
    );
  }
}

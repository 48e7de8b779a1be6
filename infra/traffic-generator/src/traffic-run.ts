import { BatchSender, type TrafficLogger } from './batch-sender';
import { seedFrom } from './random';
import type { SegmentEvent } from './shopper-model';
import { TrafficSimulator, type SimulatorOptions } from './traffic-simulator';

export interface TrafficOptions {
  /** Base URL of the collector. */
  collectorUrl: string;
  /** The collector source's write key. @default none (the collector's open development mode) */
  writeKey?: string;
  /** Target events per second. */
  eventsPerSecond: number;
  /** Stop after this many seconds; unlimited when absent. */
  durationS?: number;
  /** Same seed, same visitors and messageIds (given the same tick times). Random when absent. */
  seed?: string | number;
  /** Events due in one tick go out as one batch. @default 100 */
  tickMs?: number;
  /** Larger ticks are split (the collector's default limit is 500). @default 400 */
  maxBatchEvents?: number;
  /** Batches posted at once; more events wait in the queue. @default 8 */
  maxInFlight?: number;
  /** Events held while the collector is unreachable; the oldest are dropped past it. @default 100000 */
  maxQueuedEvents?: number;
  /** How long stop() waits for in-flight batches before aborting them. @default 10000 */
  stopDeadlineMs?: number;
  /** Stops the run like stop(). */
  signal?: AbortSignal;
  logger?: TrafficLogger;
  fetch?: typeof fetch;
  sender?: { retries?: number; initialDelayMs?: number; maxDelayMs?: number; timeoutMs?: number };
  simulator?: Omit<SimulatorOptions, 'seed' | 'eventsPerSecond'>;
}

export interface TrafficStats {
  seed: number;
  sessionsStarted: number;
  sessionsPurchased: number;
  activeSessions: number;
  eventsGenerated: number;
  accepted: number;
  rejected: number;
  failed: number;
  dropped: number;
  retries: number;
  batches: number;
  queued: number;
  inFlightBatches: number;
}

export interface TrafficRun {
  stats(): TrafficStats;
  /** Stops generating, sends what is queued, waits for in-flight batches (deadline, then aborts). Safe twice. */
  stop(): Promise<TrafficStats>;
  /** Resolves when the run ended (duration, signal or stop()). */
  done: Promise<TrafficStats>;
}

export function startTraffic(opts: TrafficOptions): TrafficRun {
  const seed = typeof opts.seed === 'number' ? opts.seed >>> 0 : seedFrom(opts.seed ?? `${Date.now()}-${Math.random()}`);
  const tickMs = opts.tickMs ?? 100;
  const maxBatch = opts.maxBatchEvents ?? 400;
  const maxInFlight = opts.maxInFlight ?? 8;
  const maxQueued = opts.maxQueuedEvents ?? 100_000;
  const simulator = new TrafficSimulator({ ...opts.simulator, seed, eventsPerSecond: opts.eventsPerSecond });
  const abort = new AbortController();
  const sender = new BatchSender({ ...opts.sender, collectorUrl: opts.collectorUrl, writeKey: opts.writeKey, signal: abort.signal, logger: opts.logger, fetch: opts.fetch });

  const queue: SegmentEvent[] = [];
  const inFlight = new Set<Promise<void>>();
  const counts = { accepted: 0, rejected: 0, failed: 0, dropped: 0, retries: 0, batches: 0 };

  const stats = (): TrafficStats => {
    const sim = simulator.snapshot();
    return {
      seed,
      sessionsStarted: sim.sessionsStarted,
      sessionsPurchased: sim.sessionsPurchased,
      activeSessions: sim.activeSessions,
      eventsGenerated: sim.eventsEmitted,
      ...counts,
      queued: queue.length,
      inFlightBatches: inFlight.size,
    };
  };

  const drain = () => {
    while (queue.length > 0 && inFlight.size < maxInFlight) {
      const batch = queue.splice(0, maxBatch);
      counts.batches += 1;
      const sending: Promise<void> = sender.send(batch).then((outcome) => {
        counts.accepted += outcome.accepted;
        counts.rejected += outcome.rejected;
        counts.failed += outcome.failed;
        counts.retries += outcome.retries;
        inFlight.delete(sending);
        drain();
      });
      inFlight.add(sending);
    }
  };

  const tick = () => {
    queue.push(...simulator.tick(Date.now()));
    if (queue.length > maxQueued) counts.dropped += queue.splice(0, queue.length - maxQueued).length;
    drain();
  };

  const timer = setInterval(tick, tickMs);
  tick();
  const progress = setInterval(() => opts.logger?.info(stats(), 'traffic progress'), 10_000);
  progress.unref();
  opts.logger?.info({ seed, eventsPerSecond: opts.eventsPerSecond, collectorUrl: opts.collectorUrl, durationS: opts.durationS ?? null }, 'traffic started');

  let resolveDone!: (s: TrafficStats) => void;
  const done = new Promise<TrafficStats>((resolve) => (resolveDone = resolve));
  let stopping: Promise<TrafficStats> | undefined;
  let durationTimer: NodeJS.Timeout | undefined;

  const stop = (): Promise<TrafficStats> => {
    stopping ??= (async () => {
      clearInterval(timer);
      clearInterval(progress);
      if (durationTimer) clearTimeout(durationTimer);
      opts.signal?.removeEventListener('abort', onAbort);
      // NOTE: sessions under way are cut off here; what they already emitted is still sent.
      const deadline = setTimeout(() => abort.abort(new Error('traffic stop deadline passed')), opts.stopDeadlineMs ?? 10_000);
      while (queue.length > 0 || inFlight.size > 0) {
        drain();
        await Promise.race(inFlight);
        if (abort.signal.aborted) {
          await Promise.allSettled(inFlight);
          counts.dropped += queue.splice(0).length;
        }
      }
      clearTimeout(deadline);
      const final = stats();
      opts.logger?.info(final, 'traffic stopped');
      resolveDone(final);
      return final;
    })();
    return stopping;
  };

  const onAbort = () => void stop();
  if (opts.durationS !== undefined) durationTimer = setTimeout(() => void stop(), opts.durationS * 1000);
  if (opts.signal?.aborted) void stop();
  else opts.signal?.addEventListener('abort', onAbort, { once: true });

  return { stats, stop, done };
}

import type { Kafka } from 'kafkajs';

/** How long a looked-up coordinator is reused. @default 1000 */
export const COORDINATOR_CACHE_MS = 1_000;

interface FindCoordinator {
  (args: { groupId: string; coordinatorType?: number }): Promise<unknown>;
}

interface ClusterLike {
  findGroupCoordinator: FindCoordinator;
}

/**
 * Makes every cluster that `kafka` creates (one per producer, consumer and admin) reuse a group or transaction
 * coordinator it looked up within the last `ttlMs`.
 *
 * TRICKY: kafkajs 2.2.4 sends a FindCoordinator request before every transactional call (AddPartitionsToTxn,
 * AddOffsetsToTxn, TxnOffsetCommit, EndTxn): four of the nine requests of each enricher transaction. The Java client
 * caches coordinators until a request to one fails. kafkajs does not tell us when a request failed, so the cache
 * expires instead: a coordinator that moved (a broker restarted, a leader changed) is found again at most `ttlMs`
 * later, and kafkajs's own retries of the failed call (which back off longer than that) reach the new one.
 * kafkajs keeps the factory of its clusters under a private symbol; when a later kafkajs renames it, nothing is
 * cached and everything works as before (`installed` says which).
 */
export function cacheCoordinators(
  kafka: Kafka,
  ttlMs = COORDINATOR_CACHE_MS,
  /** Called with the API name of every request the clusters send (counted as telltale_kafka_requests_total). */
  onRequest?: (apiName: string) => void,
): { installed: boolean } {
  const holder = kafka as unknown as Record<symbol, unknown>;
  const symbol = Object.getOwnPropertySymbols(holder).find((s) => s.description === 'private:Kafka:createCluster');
  const createCluster = symbol && holder[symbol];
  if (!symbol || typeof createCluster !== 'function') return { installed: false };
  holder[symbol] = (...args: unknown[]) => {
    const emitter = (args[0] as { instrumentationEmitter?: { emit: (name: string, payload: unknown) => void } } | undefined)?.instrumentationEmitter;
    if (onRequest && emitter) {
      // NOTE: kafkajs reports every request it sends to its client's instrumentation emitter ('*network.request').
      const emit = emitter.emit.bind(emitter);
      emitter.emit = (name, payload) => {
        if (name.endsWith('network.request')) onRequest((payload as { apiName?: string } | undefined)?.apiName ?? 'unknown');
        emit(name, payload);
      };
    }
    const cluster = (createCluster as (...a: unknown[]) => ClusterLike)(...args);
    cluster.findGroupCoordinator = cachedLookup(cluster.findGroupCoordinator.bind(cluster), ttlMs, () => performance.now());
    return cluster;
  };
  return { installed: true };
}

/** Wraps a coordinator lookup with a per-(type, group id) cache of `ttlMs`; concurrent misses share one lookup. */
export function cachedLookup(find: FindCoordinator, ttlMs: number, now: () => number): FindCoordinator {
  const cache = new Map<string, { at: number; broker: Promise<unknown> }>();
  return (args) => {
    const key = `${args.coordinatorType ?? 0}\u0000${args.groupId}`;
    const hit = cache.get(key);
    if (hit && now() - hit.at < ttlMs) return hit.broker;
    const broker = find(args);
    const entry = { at: now(), broker };
    cache.set(key, entry);
    // A failed lookup is not remembered: the next call asks again.
    broker.catch(() => cache.get(key) === entry && cache.delete(key));
    return broker;
  };
}

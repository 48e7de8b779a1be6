import { ServiceLifecycle, createLogger, runMain } from '@telltale/runtime';
import { loadTrafficConfig } from './traffic.config';
import { startTraffic } from './traffic-run';

// CLI: TRAFFIC_EVENTS_PER_S=200 TRAFFIC_DURATION_S=60 tsx infra/traffic-generator/src/main.ts
runMain(async () => {
  const config = loadTrafficConfig();
  const logger = createLogger('traffic-generator', config.LOG_LEVEL);
  const lifecycle = new ServiceLifecycle(logger);
  lifecycle.installSignalHandlers();

  const run = startTraffic({
    collectorUrl: config.COLLECTOR_URL,
    eventsPerSecond: config.TRAFFIC_EVENTS_PER_S,
    durationS: config.TRAFFIC_DURATION_S,
    seed: config.TRAFFIC_SEED,
    simulator: { minReturnGapMs: config.TRAFFIC_MIN_RETURN_GAP_S * 1000 },
    logger,
  });
  lifecycle.onStop('traffic', async () => {
    await run.stop();
  });

  const final = await run.done;
  // Nothing accepted at all means the collector was never reachable: say so with the exit code.
  if (final.accepted === 0 && final.eventsGenerated > 0) {
    logger.error(final, 'no event was accepted by the collector');
    process.exitCode = 1;
  }
});

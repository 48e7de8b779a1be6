import { ServiceLifecycle, createLogger, runMain } from '@telltale/runtime';
import { loadTrafficConfig, trafficOptions } from './traffic.config';
import { startTraffic } from './traffic-run';

// CLI: TRAFFIC_EVENTS_PER_S=200 TRAFFIC_DURATION_S=60 tsx infra/traffic-generator/src/main.ts
runMain(async () => {
  const config = loadTrafficConfig();
  const logger = createLogger('traffic-generator', config.LOG_LEVEL);
  const lifecycle = new ServiceLifecycle(logger);
  lifecycle.installProcessHandlers();

  const run = startTraffic({ ...trafficOptions(config), logger });
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

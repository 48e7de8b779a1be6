import { ServiceLifecycle, createLogger, createMetricsRegistry, runMain } from '@telltale/runtime';
import { loadEnricherConfig } from './enricher.config';
import { startEnricher } from './enricher.service';

runMain(async () => {
  const config = loadEnricherConfig();
  const logger = createLogger('enricher', config.LOG_LEVEL);
  const lifecycle = new ServiceLifecycle(logger);
  lifecycle.installSignalHandlers();
  const enricher = await startEnricher(config, logger, createMetricsRegistry('enricher'));
  lifecycle.onStop('enricher', () => enricher.stop());
});

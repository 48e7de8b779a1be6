import { ServiceLifecycle, createLogger, createMetricsRegistry, runMain } from '@telltale/runtime';
import { loadSinkConfig } from './sink.config';
import { startSink } from './sink.service';

runMain(async () => {
  const config = loadSinkConfig();
  const logger = createLogger('sink', config.LOG_LEVEL);
  const lifecycle = new ServiceLifecycle(logger);
  lifecycle.installSignalHandlers();
  const sink = await startSink(config, logger, createMetricsRegistry('sink'));
  lifecycle.onStop('sink', () => sink.stop());
});

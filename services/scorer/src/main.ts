import { createLogger, createMetricsRegistry, runMain, ServiceLifecycle, startAdminServer } from '@telltale/runtime';
import { startScorerApp } from './scorer.app';
import { loadScorerConfig } from './scorer.config';

async function main(): Promise<void> {
  const config = loadScorerConfig();
  const logger = createLogger('scorer', config.LOG_LEVEL);
  const registry = createMetricsRegistry('scorer');
  const lifecycle = new ServiceLifecycle(logger);
  lifecycle.installSignalHandlers();

  const app = await startScorerApp(config, logger, registry);
  // Stop order: consumer (after its in-flight batch is acknowledged and committed) → follower → producer flush.
  lifecycle.onStop('scorer', () => app.close());
  const admin = await startAdminServer({ port: config.ADMIN_PORT, registry, checks: app.checks });
  lifecycle.onStop('admin server', () => admin.close());
  logger.info({ adminPort: admin.port, model: config.MODEL_NAME, groupId: config.SCORER_GROUP_ID }, 'scorer started');
}

runMain(main);

export { ensureKafka, ensureClickHouse, stopChild, stopProcessTree, tsxCommand, waitFor, REPO_ROOT, type LocalKafka, type LocalClickHouse } from './infrastructure';
export { startPipeline, tailOf, ServiceStartError, SERVICE_SPECS, START_STAGES, STOP_ORDER, type Pipeline, type PipelineOptions, type RunningService, type ServiceName } from './pipeline';
export { parseMetricsText, sumOf, maxOf, CounterRate, type MetricSample } from './metrics-text';

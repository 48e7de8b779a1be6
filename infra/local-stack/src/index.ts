export { REPO_ROOT, ensureKafka, spawnTsx, stopChild, waitForHttp } from './infrastructure';
export { parseMetricsText, sumOf } from '@telltale/runtime';
export { childNode } from './launcher';

// Runs fitModel on a worker thread: a fit is synchronous and, on a million rows, would hold the trainer's event loop
// (and so /healthz and /metrics) for seconds. Plain JavaScript so the thread starts the same way under tsx
// (pnpm start) and under jest: it registers tsx, whose require hook then compiles the TypeScript it loads. The
// production build replaces this file by the bundled model-fitting.worker.ts (see there).
require('tsx/cjs/api').register();
require('./model-fitting.worker.ts');

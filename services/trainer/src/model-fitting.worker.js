// Runs fitModel on a worker thread: a fit is synchronous and, on a million rows, would hold the trainer's event loop
// (and so /healthz and /metrics) for seconds. Plain JavaScript so the thread starts the same
// way in production (tsx) and under jest; tsx's require hook then compiles the TypeScript it loads.
const { parentPort, workerData } = require('node:worker_threads');
require('tsx/cjs/api').register();
const { fitModel } = require('./model-fitting.ts');

const { set, opts } = workerData;
parentPort.postMessage(fitModel(set, { ...opts, now: () => opts.nowMs }));

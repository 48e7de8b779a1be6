// The model-fitting thread's work: fitModel on the data the trainer posted, its outcome posted back.
// NOTE: two files share this base name on purpose. Under tsx and jest, model-fitting.thread.ts starts
// src/model-fitting.worker.js, which registers tsx and loads this file; the production build bundles this file to
// dist/model-fitting.worker.js, beside dist/main.js, so the same `new Worker(<__dirname>/model-fitting.worker.js)`
// starts compiled code there.
import { parentPort, workerData } from 'node:worker_threads';
import type { TrainingSet } from '@telltale/model';
import { fitModel, type FitOptions } from './model-fitting';

const { set, opts } = workerData as { set: TrainingSet; opts: Omit<FitOptions, 'now'> & { nowMs: number } };
parentPort!.postMessage(fitModel(set, { ...opts, now: () => opts.nowMs }));

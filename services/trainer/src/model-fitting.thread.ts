import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { FitOptions, FitOutcome } from './model-fitting';
import type { TrainingRow } from './training-data';

/** fitModel on a worker thread, so the event loop keeps serving health checks, metrics and shutdown meanwhile. */
export function fitModelOnThread(rows: readonly TrainingRow[], opts: FitOptions): Promise<FitOutcome> {
  const { now, ...plain } = opts;
  return new Promise<FitOutcome>((resolve, reject) => {
    const worker = new Worker(path.join(__dirname, 'model-fitting.worker.js'), {
      workerData: { rows, opts: { ...plain, nowMs: now() } },
      // NOTE: no inherited loader flags: the worker registers tsx itself, the same under tsx and under jest.
      execArgv: [],
    });
    let settled = false;
    worker.once('message', (outcome: FitOutcome) => {
      settled = true;
      resolve(outcome);
    });
    worker.once('error', (err) => {
      settled = true;
      reject(err);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`model fitting thread exited with code ${code} before answering`));
    });
  });
}

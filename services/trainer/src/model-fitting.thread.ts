import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { FitOptions, FitOutcome } from './model-fitting';
import type { TrainingSet } from '@telltale/model';

/** Thrown when a fit was cancelled (shutdown): not a failure of the data or the model. */
export class FitCancelledError extends Error {
  constructor() {
    super('model fitting cancelled');
    this.name = 'FitCancelledError';
  }
}

/**
 * fitModel on a worker thread, so the event loop keeps serving health checks, metrics and shutdown meanwhile.
 * Aborting `signal` terminates the thread at once (a fit is synchronous and cannot be asked to stop), so a shutdown
 * never waits for a long fit.
 */
export function fitModelOnThread(set: TrainingSet, opts: FitOptions, signal?: AbortSignal): Promise<FitOutcome> {
  const { now, ...plain } = opts;
  if (signal?.aborted) return Promise.reject(new FitCancelledError());
  return new Promise<FitOutcome>((resolve, reject) => {
    const worker = new Worker(path.join(__dirname, 'model-fitting.worker.js'), {
      // NOTE: the set's typed arrays are copied, not transferred: the caller scores the live model on them afterwards.
      workerData: { set, opts: { ...plain, nowMs: now() } },
      // NOTE: no inherited loader flags: the worker registers tsx itself, the same under tsx and under jest.
      execArgv: [],
    });
    let settled = false;
    const onAbort = () => {
      if (settled) return;
      settled = true;
      reject(new FitCancelledError());
      void worker.terminate();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const settle = () => {
      settled = true;
      signal?.removeEventListener('abort', onAbort);
    };
    worker.once('message', (outcome: FitOutcome) => {
      settle();
      resolve(outcome);
    });
    worker.once('error', (err) => {
      if (settled) return;
      settle();
      reject(err);
    });
    worker.once('exit', (code) => {
      if (settled) return;
      settle();
      reject(new Error(`model fitting thread exited with code ${code} before answering`));
    });
  });
}

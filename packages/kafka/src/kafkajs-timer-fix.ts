/**
 * TRICKY: kafkajs 2.2.4's request queue schedules its throttle check `throttledUntil - Date.now()` ms ahead, and
 * `throttledUntil` starts at -1: a delay of minus the epoch. Node ran such timers after 1 ms; Node 24 still does but
 * prints a TimeoutNegativeWarning on stderr of every process on its first request (tulios/kafkajs#1751, open). The
 * same method with the delay clamped to what Node used: behaviour unchanged, no warning. Installed once, for every
 * kafkajs client of the process.
 */
interface RequestQueueLike {
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  pending: unknown[];
  checkPendingRequests(): void;
}

/** kafkajs's own constant (src/network/requestQueue/index.js). */
const CHECK_PENDING_REQUESTS_INTERVAL = 10;

let installed = false;

export function clampRequestQueueTimers(): void {
  if (installed) return;
  installed = true;
  // NOTE: a plain require, so that test runners with their own module registry patch the kafkajs the code uses.
  const RequestQueue = require('kafkajs/src/network/requestQueue') as { prototype: RequestQueueLike & { scheduleCheckPendingRequests(): void } };
  RequestQueue.prototype.scheduleCheckPendingRequests = function (this: RequestQueueLike) {
    let scheduleAt = this.throttledUntil - Date.now();
    if (!this.throttleCheckTimeoutId) {
      if (this.pending.length > 0) scheduleAt = scheduleAt > 0 ? scheduleAt : CHECK_PENDING_REQUESTS_INTERVAL;
      this.throttleCheckTimeoutId = setTimeout(
        () => {
          this.throttleCheckTimeoutId = null;
          this.checkPendingRequests();
        },
        Math.max(1, scheduleAt),
      );
    }
  };
}

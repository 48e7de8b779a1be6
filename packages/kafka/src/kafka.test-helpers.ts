// Helpers for this package's integration tests. NOTE: they repeat three of @telltale/testing's: that package depends
// on this one, so it cannot be imported here.
import { randomBytes } from 'node:crypto';
import { createLogger } from '@telltale/runtime';

export const id = (prefix: string) => `${prefix}_${randomBytes(5).toString('hex')}`;

export const logger = createLogger('kafka-test', process.env.TEST_LOG_LEVEL ?? 'silent');

export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

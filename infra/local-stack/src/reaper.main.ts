/**
 * The reaper process (see reaper.ts): records what the launcher spawned, and on EOF of stdin stops what still runs.
 * Spawned by the launcher only; not meant to be run by hand.
 */
import { createInterface } from 'node:readline';
import { reap, type ReaperEntry, type ReaperMessage } from './reaper';

// Services exit within 10 s of their stop starting; a little more before they get a signal of ours.
const IPC_WATCHER_GRACE_MS = 12_000;

const log = (line: string) => process.stdout.write(`${new Date().toISOString()} reaper[${process.pid}] ${line}\n`);
const entries = new Map<string, ReaperEntry>();

// Its own session has no terminal; these can only come from a stray `kill`, and leaving now would defeat the purpose.
process.on('SIGHUP', () => log('SIGHUP ignored'));
process.on('SIGINT', () => log('SIGINT ignored'));

const input = createInterface({ input: process.stdin });
input.on('line', (line) => {
  let message: ReaperMessage;
  try {
    message = JSON.parse(line) as ReaperMessage;
  } catch {
    log(`ignored a line that is not JSON: ${line.slice(0, 200)}`);
    return;
  }
  if (message.pid === null) entries.delete(message.name);
  else entries.set(message.name, message);
});
// 'close' comes on EOF and on a read error alike: either way the launcher's end of the pipe is gone.
process.stdin.on('error', (err) => log(`stdin: ${err.message}`));
input.once('close', () => {
  reap([...entries.values()], { graceMs: IPC_WATCHER_GRACE_MS, log }).then(
    () => process.exit(0),
    (err: unknown) => {
      log(`failed: ${(err as Error).stack ?? String(err)}`);
      process.exit(1);
    },
  );
});

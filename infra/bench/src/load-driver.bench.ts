import { fork, type ChildProcess } from 'node:child_process';
import { LoadDriver } from '@telltale/faults/src/load-driver';
import { ShopperEvents, type EventSource } from '@telltale/faults/src/shopper-events';
import { MarkedEvents } from './e2e/marked-events';

// `pnpm bench load-driver`: what the load driver itself costs per event, so that a benchmark on the same 2 cores
// knows how much of them its own load takes. The driver posts to a dummy collector in a process of its own (it reads
// each body and answers 200), and this process's CPU time (process.cpuUsage: every thread, undici's included) is
// divided by the events acknowledged. The baseline is the same driver fed plain event objects (one JSON.stringify per
// request, the generator planning every session), which is what every source did before pre-encoded batches.

const RATE = 5_000;
const SECONDS = 10;
const BATCH = 50;
const CONNECTIONS = 64;

/** Answers every POST with 200 once its body is read: the collector's answer without the collector's work. */
const DUMMY_COLLECTOR = `
const http = require('node:http');
const server = http.createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => { res.writeHead(200, { 'content-type': 'application/json' }); res.end('{"success":true}'); });
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => process.send(server.address().port));
process.on('disconnect', () => process.exit(0));
`;

export interface DriverCost {
  eventsPerS: number;
  /** CPU of this process per acknowledged event, µs. */
  cpuUsPerEvent: number;
  /** Mean cores this process used while driving. */
  cores: number;
}

async function startDummy(): Promise<{ url: string; child: ChildProcess }> {
  const child = fork('-e', [DUMMY_COLLECTOR], { execArgv: [], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  // fork('-e') runs node with `-e <script>` as its arguments.
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m) => resolve(Number(m)));
    child.once('exit', (code) => reject(new Error(`dummy collector exited (${code})`)));
  });
  return { url: `http://127.0.0.1:${port}`, child };
}

/** One run: `source` at RATE events/s for SECONDS against the dummy collector. */
export async function measureDriverCost(collectorUrl: string, source: EventSource, opts: { rate?: number; seconds?: number } = {}): Promise<DriverCost> {
  const rate = opts.rate ?? RATE;
  const seconds = opts.seconds ?? SECONDS;
  // Collect what earlier runs left, so one run's garbage is not billed to the next.
  (globalThis as { gc?: () => void }).gc?.();
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const driver = new LoadDriver({ collectorUrl, source, eventsPerSecond: rate, connections: CONNECTIONS, batchSize: BATCH }).start();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const stats = await driver.stop(10_000);
  const cpu = process.cpuUsage(cpu0);
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpuS = (cpu.user + cpu.system) / 1e6;
  return {
    eventsPerS: Math.round(stats.acknowledged / wallS),
    cpuUsPerEvent: Math.round((cpuS * 1e6 * 10) / Math.max(1, stats.acknowledged)) / 10,
    cores: Math.round((cpuS / wallS) * 100) / 100,
  };
}

/** Hides the pre-encoded path of a source: the driver then builds each request's JSON, as it used to. */
function objectsOnly(source: EventSource): EventSource {
  return { next: (count) => source.next(count) };
}

export async function benchLoadDriver(): Promise<Record<string, unknown>> {
  const dummy = await startDummy();
  try {
    const noMarker = () => undefined;
    const runs: Record<string, DriverCost> = {};
    // Object sources first, then pre-encoded, each twice, interleaved so that JIT warm-up and noise spread evenly.
    for (const round of [1, 2]) {
      runs[`objects ${round}`] = await measureDriverCost(dummy.url, objectsOnly(new MarkedEvents(new ShopperEvents(`o${round}-`), `o${round}-`, 50, noMarker)));
      runs[`encoded ${round}`] = await measureDriverCost(dummy.url, new MarkedEvents(new ShopperEvents(`e${round}-`), `e${round}-`, 50, noMarker));
    }
    const best = (prefix: string) => Math.min(...Object.entries(runs).filter(([k]) => k.startsWith(prefix)).map(([, v]) => v.cpuUsPerEvent));
    const before = best('objects');
    const after = best('encoded');
    console.log(`load driver at ${RATE} events/s (${BATCH}-event batches, ${CONNECTIONS} connections), CPU per event:`);
    for (const [name, r] of Object.entries(runs)) console.log(`  ${name}: ${r.cpuUsPerEvent} µs (${r.cores} cores, ${r.eventsPerS} events/s)`);
    console.log(`  encoded / objects: ${(after / before).toFixed(2)}×`);
    return { rate: RATE, seconds: SECONDS, runs, cpuUsPerEvent: { objects: before, encoded: after }, ratio: Math.round((after / before) * 100) / 100 };
  } finally {
    dummy.child.disconnect();
  }
}

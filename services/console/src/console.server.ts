import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { handleAdminRequest, type Gauge, type HealthCheck, type Registry } from '@telltale/runtime';
import type { LiveSnapshot } from './live-view.sampler';

/** The page's files: beside src/ (tsx) and dist/ (compiled) alike, so both find them one level up. */
export const WEB_DIR = path.resolve(__dirname, '..', 'web');

const STATIC_FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
};

export interface SnapshotSource {
  readonly latest: LiveSnapshot | undefined;
  subscribe(listener: (s: LiveSnapshot) => void): () => void;
}

export interface ConsoleServer {
  port: number;
  close(): Promise<void>;
}

/**
 * GET / (the page), its script and style, GET /api/snapshot (the latest snapshot as JSON), GET /api/stream
 * (server-sent events: one `snapshot` event per refresh), and /healthz and /metrics from the service skeleton.
 * Read-only by construction: no route takes input.
 */
export async function startConsoleServer(opts: {
  port: number;
  host: string;
  source: SnapshotSource;
  registry: Registry;
  checks: Record<string, HealthCheck>;
  viewers: Gauge<string>;
}): Promise<ConsoleServer> {
  // Read once at start: a missing file fails the start, not the first visitor.
  const files = Object.fromEntries(
    Object.entries(STATIC_FILES).map(([route, { file, type }]) => [route, { body: readFileSync(path.join(WEB_DIR, file)), type }]),
  );
  const streams = new Set<http.ServerResponse>();

  const server = http.createServer((req, res) => {
    if (handleAdminRequest(req, res, opts.registry, opts.checks)) return;
    const url = (req.url ?? '/').split('?')[0]!;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { 'content-type': 'application/json', allow: 'GET, HEAD' });
      res.end(JSON.stringify({ error: 'method not allowed', field: 'method', reason: 'the live view only serves GET' }));
      return;
    }
    const file = files[url];
    if (file) {
      res.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-cache', 'content-length': file.body.length });
      res.end(req.method === 'HEAD' ? undefined : file.body);
      return;
    }
    if (url === '/api/snapshot') {
      const latest = opts.source.latest;
      res.writeHead(latest ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(latest ?? { error: 'not ready', field: null, reason: 'the first refresh has not finished yet' }));
      return;
    }
    if (url === '/api/stream') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      // The browser reconnects by itself after a drop; tell it how soon.
      res.write('retry: 2000\n\n');
      const send = (s: LiveSnapshot) => res.write(`event: snapshot\ndata: ${JSON.stringify(s)}\n\n`);
      if (opts.source.latest) send(opts.source.latest);
      const unsubscribe = opts.source.subscribe(send);
      streams.add(res);
      opts.viewers.inc();
      res.on('close', () => {
        unsubscribe();
        streams.delete(res);
        opts.viewers.dec();
      });
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'not found', field: 'path', reason: `no route ${url}`, paths: [...Object.keys(STATIC_FILES), '/api/snapshot', '/api/stream', '/healthz', '/metrics'] }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        // Open event streams never end by themselves: end them, or close() would wait for every viewer to leave.
        for (const res of streams) res.end();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export type HealthCheck = () => { ok: boolean; detail?: string };

export interface AdminServer {
  port: number;
  close(): Promise<void>;
}

/**
 * Serves GET /healthz (200 when every check passes, else 503 with the failing ones) and GET /metrics
 * (Prometheus text). Services whose main job is not HTTP run this on their own port; the collector
 * mounts the same handler on its public server via `handleAdminRequest`.
 */
export function handleAdminRequest(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  registry: Registry,
  checks: Record<string, HealthCheck>,
): boolean {
  const url = (req.url ?? '/').split('?')[0];
  if (req.method === 'GET' && url === '/healthz') {
    const results = Object.fromEntries(Object.entries(checks).map(([name, check]) => [name, check()]));
    const ok = Object.values(results).every((r) => r.ok);
    res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
    // The pid lets a supervisor tell its own child from a stale process that holds the port.
    res.end(JSON.stringify({ status: ok ? 'ok' : 'unhealthy', pid: process.pid, checks: results }));
    return true;
  }
  if (req.method === 'GET' && url === '/metrics') {
    registry.metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': registry.contentType });
        res.end(text);
      },
      (err: Error) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(err.message);
      },
    );
    return true;
  }
  return false;
}

export async function startAdminServer(opts: {
  port: number;
  host?: string;
  registry: Registry;
  checks: Record<string, HealthCheck>;
}): Promise<AdminServer> {
  const server = http.createServer((req, res) => {
    if (!handleAdminRequest(req, res, opts.registry, opts.checks)) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'not found', paths: ['/healthz', '/metrics'] }));
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

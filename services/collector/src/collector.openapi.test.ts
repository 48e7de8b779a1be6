import type { AddressInfo } from 'node:net';
import { registeredRoutes } from './collector.server';
import { unitCollector } from './collector.unit-harness';

describe('GET /openapi.json', () => {
  it('is an OpenAPI 3.1 document of exactly the routes the collector registers, each with its error shape', async () => {
    const { app } = unitCollector();
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const res = await fetch(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}/openapi.json`);
      expect(res.status).toBe(200);
      const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
      expect(doc.openapi).toBe('3.1.0');

      const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method} ${path}`));
      // fastify adds HEAD for every GET, and the CORS plugin an OPTIONS route per path: neither is an API route.
      const served = registeredRoutes(app)
        .filter((r) => r.method !== 'head' && r.method !== 'options')
        .map((r) => `${r.method} ${r.url.replace(/:(\w+)/g, '{$1}')}`);
      expect(served.length).toBeGreaterThan(10);
      expect(documented.sort()).toEqual([...new Set(served)].sort());

      for (const [path, ops] of Object.entries(doc.paths)) {
        if (!path.startsWith('/v1/') || path.includes('projects')) continue;
        expect(Object.keys(ops.post!.responses).sort()).toEqual(['200', '400', '401', '403', '413', '415', '429', '503']);
      }
    } finally {
      await app.close();
    }
  });
});

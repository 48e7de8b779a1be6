import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { JSON_LIMITS } from './segment-event';
import { unitCollector, type UnitCollector } from './collector.unit-harness';

const page = (messageId: string) => ({ type: 'page', userId: 'u-1', messageId });

let collector: UnitCollector;
let port: number;
beforeEach(async () => {
  collector = unitCollector();
  await collector.app.listen({ port: 0, host: '127.0.0.1' });
  port = (collector.app.server.address() as AddressInfo).port;
});
afterEach(() => collector.app.close());

/** Posts a body over a fresh connection; resolves with the status and body, or rejects on a reset. */
function postRaw(body: Buffer, headers: Record<string, string>, chunked = false): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/v1/batch', method: 'POST', agent: false, headers: chunked ? headers : { ...headers, 'content-length': String(body.length) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    // Written in pieces, so the server has answered long before the client has finished sending.
    for (let offset = 0; offset < body.length; offset += 64 * 1024) req.write(body.subarray(offset, offset + 64 * 1024));
    req.end();
  });
}

/** POST /v1/batch with a JSON body (an object, or text as it is). */
async function post(payload: unknown): Promise<{ statusCode: number; json(): Record<string, unknown> & { field: string } }> {
  const res = await fetch(`http://127.0.0.1:${port}/v1/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof payload === 'string' ? payload : JSON.stringify(payload),
  });
  const body = (await res.json()) as Record<string, unknown> & { field: string };
  return { statusCode: res.status, json: () => body };
}

describe('input the collector refuses with a 4xx, never a 5xx', () => {
  it('refuses properties nested 5,000 levels deep with 400 naming the field; the neighbour is accepted', async () => {
    const deep = '{"a":'.repeat(5000) + '1' + '}'.repeat(5000);
    const body = `{"batch":[${JSON.stringify(page('ok'))},{"type":"track","event":"x","userId":"u","messageId":"deep","properties":${deep}}]}`;
    const res = await post(body);
    expect(res.statusCode).toBe(400);
    const answer = res.json();
    expect(answer).toMatchObject({ error: 'invalid events', accepted: 1, reason: `nested deeper than ${JSON_LIMITS.maxDepth} levels` });
    expect(answer.field).toBe(`batch[1].properties${'.a'.repeat(JSON_LIMITS.maxDepth)}`);
    expect(collector.produced.map((e) => e.messageId)).toEqual(['ok']);
    expect(collector.deadLettered).toHaveLength(1);
  });

  it('refuses an over-long string with 400 naming the field', async () => {
    const long = 'x'.repeat(JSON_LIMITS.maxStringLength + 1);
    const res = await post({ batch: [{ ...page('long'), context: { page: { url: long } } }, page('ok')] },
   );
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ field: 'batch[0].context.page.url', accepted: 1 });
  });

  it('refuses a batch context nested too deep as a bad envelope', async () => {
    let context: unknown = 1;
    for (let i = 0; i < 100; i++) context = [context];
    const res = await post({ batch: [page('m')], context: { deep: context } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'bad request', reason: `nested deeper than ${JSON_LIMITS.maxDepth} levels` });
    expect(res.json().field).toMatch(/^context\.deep\.0\.0/);
  });

  it('refuses a timestamp outside the range of dates with 400 (not a 503 from the Avro encoder)', async () => {
    const res = await post({ batch: [{ ...page('t'), timestamp: 1e300 }, page('ok')] });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ field: 'batch[0].timestamp', accepted: 1 });
  });

  it('keeps epoch milliseconds with a fraction, rounded', async () => {
    const res = await post({ batch: [{ ...page('f'), timestamp: 1_764_000_000_000.6 }] });
    expect(res.statusCode).toBe(200);
    expect(collector.produced[0]!.timestamp).toBe(1_764_000_000_001);
  });

  it('drops a __proto__ key instead of refusing the batch that carries it', async () => {
    const res = await post(`{"batch":[{"type":"page","userId":"u","messageId":"p","properties":{"__proto__":{"polluted":1},"path":"/"}}]}`);
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(collector.produced[0]!.properties)).toEqual({ path: '/' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('answers a broken gzip body with 400', async () => {
    const gz = gzipSync(JSON.stringify({ batch: [page('g')] }));
    const res = await postRaw(gz.subarray(0, gz.length - 8), { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expect(res.status).toBe(400);
    expect(collector.produced).toEqual([]);
  });

  describe('a body over the limit gets a 413 the client can read, every time', () => {
    const fiveMegabytes = Buffer.from(JSON.stringify({ batch: [{ ...page('big'), properties: { pad: 'x'.repeat(5 * 1024 * 1024) } }] }));
    const expectReadable413 = (res: { status: number; headers: Record<string, unknown>; body: string }) => {
      expect(res.status).toBe(413);
      expect(res.headers.connection).toBe('close');
      expect(JSON.parse(res.body)).toEqual({ error: 'body too large', field: null, reason: expect.stringContaining('65536 bytes') });
    };

    it('with a Content-Length (refused before reading)', async () => {
      for (let i = 0; i < 20; i++) expectReadable413(await postRaw(fiveMegabytes, { 'content-type': 'application/json' }));
    });

    it('chunked (refused while reading)', async () => {
      for (let i = 0; i < 10; i++) expectReadable413(await postRaw(fiveMegabytes, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }, true));
    });

    it('gzip-compressed: small on the wire, over the limit once decompressed', async () => {
      const gz = gzipSync(fiveMegabytes);
      expect(gz.length).toBeLessThan(64 * 1024);
      for (let i = 0; i < 10; i++) expectReadable413(await postRaw(gz, { 'content-type': 'application/json', 'content-encoding': 'gzip' }));
    });

    it('leaves the collector answering', async () => {
      await postRaw(fiveMegabytes, { 'content-type': 'application/json' });
      const res = await postRaw(Buffer.from(JSON.stringify({ batch: [page('after')] })), { 'content-type': 'application/json' });
      expect(res.status).toBe(200);
    });
  });
});

import { createServer, type Server } from 'node:net';
import { describeListener, isListening, listenerPids, listensOn, parseListeningInodes, stackPorts } from './ports';

describe('ports', () => {
  it('adds the offset to every port', () => {
    expect(stackPorts(21000)).toEqual({
      kafka: 30092,
      kafkaController: 30093,
      clickhouse: 29123,
      collector: 29080,
      enricher: 30101,
      sink: 30102,
      trainer: 30103,
      scorer: 30104,
      console: 29090,
      query: 29070,
    });
  });

  it('finds listening sockets in /proc/net/tcp text, on any address', () => {
    const text = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1111 1 0000000000000000 100 0 0 10 0',
      '   1: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2222 1 0000000000000000 100 0 0 10 0',
      '   2: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 3333 1 0000000000000000 20 4 30 10 -1',
      '   3: 0100007F:1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4444 1 0000000000000000 100 0 0 10 0',
    ].join('\n');
    // 0x1F90 = 8080; the ESTABLISHED (01) connection on it is not a listener.
    expect(parseListeningInodes(text, 8080)).toEqual(['1111', '2222']);
  });

  describe('with a listener in this process', () => {
    let server: Server;
    let port: number;
    beforeAll(async () => {
      server = createServer();
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as { port: number }).port;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('names the pid that holds the port', () => {
      expect(isListening(port)).toBe(true);
      expect(listensOn(process.pid, port)).toBe(true);
      expect(listensOn(process.ppid, port)).toBe(false);
      expect(listenerPids(port)).toEqual([process.pid]);
      expect(describeListener(port)).toContain(`pid ${process.pid} (`);
    });
  });
});

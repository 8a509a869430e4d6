import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FaultProxy } from '../../src/lab/fault-proxy.ts';

/** Upstream that answers every chunk with the same bytes, so round trips are observable. */
let upstream: net.Server;
let proxy: FaultProxy;

beforeEach(async () => {
  upstream = net.createServer((socket) => socket.pipe(socket));
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', () => resolve()));
  proxy = new FaultProxy((upstream.address() as net.AddressInfo).port);
  await proxy.start();
});

afterEach(async () => {
  await proxy.close();
  upstream.close();
});

function connect(): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(proxy.port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Sends `text`, resolves with everything received within `windowMs`. */
async function roundTrip(socket: net.Socket, text: string, windowMs: number): Promise<{ data: string; firstByteMs?: number }> {
  const started = Date.now();
  let data = '';
  let firstByteMs: number | undefined;
  const onData = (chunk: Buffer) => {
    firstByteMs ??= Date.now() - started;
    data += chunk.toString();
  };
  socket.on('data', onData);
  socket.write(text);
  await new Promise((resolve) => setTimeout(resolve, windowMs));
  socket.off('data', onData);
  return { data, ...(firstByteMs === undefined ? {} : { firstByteMs }) };
}

describe('FaultProxy', () => {
  it('passes traffic through by default', async () => {
    const socket = await connect();
    expect((await roundTrip(socket, 'hello', 100)).data).toBe('hello');
    socket.destroy();
  });

  it('delays every chunk in each direction', async () => {
    await proxy.setMode({ mode: 'delay', ms: 150 });
    const socket = await connect();
    const result = await roundTrip(socket, 'x', 600);
    expect(result.firstByteMs).toBeGreaterThanOrEqual(290);
    socket.destroy();
  });

  it('stalls, then delivers what it held back', async () => {
    const socket = await connect();
    await proxy.setMode({ mode: 'stall' });
    expect((await roundTrip(socket, 'held', 200)).data).toBe('');
    const late = roundTrip(socket, '', 200);
    await proxy.setMode({ mode: 'pass' });
    expect((await late).data).toBe('held');
    socket.destroy();
  });

  it('throttles to about the configured rate', async () => {
    await proxy.setMode({ mode: 'throttle', bytesPerSecond: 10_000 });
    const socket = await connect();
    const result = await roundTrip(socket, 'y'.repeat(20_000), 1000);
    // 1 s at 10 kB/s one way then back: a round trip can deliver at most ~10 kB
    expect(result.data.length).toBeGreaterThan(3_000);
    expect(result.data.length).toBeLessThan(12_000);
    socket.destroy();
  });

  it('refuses connections, then accepts again on the same port after clear', async () => {
    const port = proxy.port;
    await proxy.setMode({ mode: 'refuse' });
    await expect(connect()).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await proxy.setMode({ mode: 'pass' });
    expect(proxy.port).toBe(port);
    const socket = await connect();
    expect((await roundTrip(socket, 'back', 100)).data).toBe('back');
    socket.destroy();
  });

  it('answers with random bytes in garbage mode', async () => {
    await proxy.setMode({ mode: 'garbage' });
    const socket = await connect();
    const { data } = await roundTrip(socket, 'GET / HTTP/1.1\r\n\r\n', 200);
    expect(data.length).toBeGreaterThan(1000);
    expect(data.startsWith('GET')).toBe(false);
    socket.destroy();
  });

  it('blackholes: accepts, forwards nothing and never closes', async () => {
    await proxy.setMode({ mode: 'blackhole' });
    const socket = await connect();
    let closed = false;
    socket.on('close', () => (closed = true));
    expect((await roundTrip(socket, 'anyone?', 500)).data).toBe('');
    expect(closed).toBe(false);
    socket.destroy();
  });
});

import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { chunkDelayMs, FaultProxy } from '../../src/lab/fault-proxy.ts';
import { faultSchema } from '../../src/lab/fault-schema.ts';
import { until } from '../helpers/until.ts';

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

  it('jitters: each chunk held ms ± jitter, in the order it came', async () => {
    // A second upstream that sends its send time as a token every 20 ms, so one direction is timed.
    const ticker = net.createServer((socket) => {
      socket.setNoDelay(true);
      let sent = 0;
      const timer = setInterval(() => {
        socket.write(`${sent++}:${Date.now()}|`);
        if (sent === 40) clearInterval(timer);
      }, 20);
      socket.on('close', () => clearInterval(timer));
      socket.on('error', () => socket.destroy());
    });
    await new Promise<void>((resolve) => ticker.listen(0, '127.0.0.1', () => resolve()));
    const jittered = new FaultProxy((ticker.address() as net.AddressInfo).port);
    await jittered.start();
    onTestFinished(async () => {
      await jittered.close();
      ticker.close();
    });
    await jittered.setMode({ mode: 'delay', ms: 150, jitterMs: 100 });
    const socket = net.connect(jittered.port, '127.0.0.1');
    const received: { n: number; delayMs: number }[] = [];
    let rest = '';
    socket.on('data', (chunk: Buffer) => {
      const now = Date.now();
      const tokens = (rest + chunk.toString()).split('|');
      rest = tokens.pop()!;
      for (const token of tokens) {
        const [n, sentAt] = token.split(':').map(Number);
        received.push({ n: n!, delayMs: now - sentAt! });
      }
    });
    await until('40 ticks through the jittered proxy', () => received.length === 40, 10_000);
    socket.destroy();
    expect(received.map((r) => r.n)).toEqual([...Array(40).keys()]);
    const delays = received.map((r) => r.delayMs);
    // Never earlier than ms − jitter (timers may fire a ms early), at most ms + jitter plus scheduling.
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(48);
    expect(Math.max(...delays)).toBeLessThan(250 + 100);
    // A fixed delay would give nearly one value; 40 draws from ±100 ms spread far wider.
    expect(Math.max(...delays) - Math.min(...delays)).toBeGreaterThan(60);
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

describe('chunkDelayMs', () => {
  it('draws uniformly from ms − jitter to ms + jitter in delay mode, and holds nothing otherwise', () => {
    const mode = { mode: 'delay', ms: 300, jitterMs: 300 } as const;
    expect(chunkDelayMs(mode, () => 0)).toBe(0);
    expect(chunkDelayMs(mode, () => 0.5)).toBe(300);
    expect(chunkDelayMs(mode, () => 1)).toBe(600);
    expect(chunkDelayMs({ mode: 'delay', ms: 150 }, () => 0)).toBe(150);
    expect(chunkDelayMs({ mode: 'throttle', bytesPerSecond: 1000 })).toBe(0);
  });

  it('is refused by the fault schema when the jitter exceeds the delay, naming jitterMs', () => {
    const fault = { stream: 's', line: 'primary', kind: 'proxy', protocol: 'hls', mode: 'delay', ms: 100 };
    expect(faultSchema.safeParse({ ...fault, jitterMs: 100 }).success).toBe(true);
    const refused = faultSchema.safeParse({ ...fault, jitterMs: 101 });
    expect(refused.success).toBe(false);
    expect(refused.error?.issues[0]?.path).toEqual(['jitterMs']);
  });
});

import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { LOOPBACK } from './ports.ts';

/** What the proxy does to traffic between a probe (client) and a media server (upstream). */
export type ProxyMode =
  | { mode: 'pass' }
  | { mode: 'delay'; ms: number; jitterMs?: number } // hold every chunk for ms ± uniform jitterMs, in both directions, in order
  | { mode: 'throttle'; bytesPerSecond: number } // cap each direction's rate
  | { mode: 'stall' } // stop forwarding; buffered bytes flow again when the mode changes
  | { mode: 'blackhole' } // accept, forward nothing, never close
  | { mode: 'refuse' } // listener closed: new connects get ECONNREFUSED
  | { mode: 'garbage' }; // new connections are answered with random bytes

const HIGH_WATER_BYTES = 256 * 1024;
const GARBAGE_BYTES = 16 * 1024;
/** Throttled data is released in slices this many times a second, not in whole chunks. */
const THROTTLE_SLICES_PER_SECOND = 20;

/** How long a chunk arriving now is held: ms plus a uniform draw from [−jitterMs, +jitterMs] in delay mode. */
export function chunkDelayMs(mode: ProxyMode, random: () => number = Math.random): number {
  if (mode.mode !== 'delay') return 0;
  const jitter = mode.jitterMs ?? 0;
  return Math.max(0, mode.ms + (2 * random() - 1) * jitter);
}

/**
 * One direction of one proxied connection. Chunks wait in a queue until the current mode
 * lets them through; when the queue is long the source is paused so the sender feels TCP
 * back-pressure, as it would behind a real slow or stalled link.
 */
class Pump {
  private readonly queue: { data: Buffer; readyAt: number }[] = [];
  private queuedBytes = 0;
  /** When the newest queued chunk may go: a jittered chunk never overtakes the one before it. */
  private lastReadyAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private throttleFreeAt = 0;
  private waitingForDrain = false;
  private srcEnded = false;

  constructor(
    private readonly src: net.Socket,
    private readonly dst: net.Socket,
    private readonly currentMode: () => ProxyMode,
  ) {
    src.on('data', (data: Buffer) => {
      const readyAt = Math.max(this.lastReadyAt, Date.now() + chunkDelayMs(this.currentMode()));
      this.lastReadyAt = readyAt;
      this.queue.push({ data, readyAt });
      this.queuedBytes += data.length;
      this.pump();
    });
    // The sender finished: pass the end on only after everything held back was delivered.
    src.on('end', () => {
      this.srcEnded = true;
      this.pump();
    });
    dst.on('drain', () => {
      this.waitingForDrain = false;
      this.pump();
    });
  }

  /** Forwards what the mode allows now and schedules itself for the rest. */
  pump(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const mode = this.currentMode();
    while (this.queue.length > 0 && !this.waitingForDrain && !this.dst.destroyed) {
      if (mode.mode === 'stall' || mode.mode === 'blackhole') break;
      const head = this.queue[0]!;
      const now = Date.now();
      const notBefore = Math.max(head.readyAt, mode.mode === 'throttle' ? this.throttleFreeAt : 0);
      if (notBefore > now) {
        this.timer = setTimeout(() => this.pump(), notBefore - now);
        break;
      }
      let piece = head.data;
      if (mode.mode === 'throttle') {
        const slice = Math.max(1, Math.floor(mode.bytesPerSecond / THROTTLE_SLICES_PER_SECOND));
        piece = head.data.subarray(0, slice);
        this.throttleFreeAt = Math.max(now, this.throttleFreeAt) + (piece.length / mode.bytesPerSecond) * 1000;
      }
      if (piece.length === head.data.length) this.queue.shift();
      else head.data = head.data.subarray(piece.length);
      this.queuedBytes -= piece.length;
      if (!this.dst.write(piece)) this.waitingForDrain = true;
    }
    if (this.srcEnded && this.queue.length === 0 && !this.dst.destroyed) this.dst.end();
    if (this.queuedBytes > HIGH_WATER_BYTES) this.src.pause();
    else this.src.resume();
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}

/**
 * A TCP proxy on loopback that injects network faults between a probe and one media server
 * endpoint. The listening port is stable for its whole life, also across `refuse`.
 */
export class FaultProxy {
  private mode: ProxyMode = { mode: 'pass' };
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private readonly pumps = new Set<Pump>();
  private boundPort = 0;

  constructor(
    private readonly upstreamPort: number,
    private readonly upstreamHost = LOOPBACK,
  ) {}

  get port(): number {
    return this.boundPort;
  }

  get current(): ProxyMode {
    return this.mode;
  }

  async start(port = 0): Promise<number> {
    await this.listen(port);
    return this.boundPort;
  }

  /** Switches mode; existing connections follow at once (stalled bytes are released on exit). */
  async setMode(mode: ProxyMode): Promise<void> {
    const previous = this.mode;
    this.mode = mode;
    if (mode.mode === 'refuse' && previous.mode !== 'refuse') {
      // The entry point going away also drops its connections, like a crashed edge server.
      for (const socket of this.sockets) socket.destroy();
      await this.closeListener();
    } else if (mode.mode !== 'refuse' && previous.mode === 'refuse') {
      await this.listen(this.boundPort);
    }
    for (const pump of this.pumps) pump.pump();
  }

  async close(): Promise<void> {
    this.mode = { mode: 'refuse' };
    for (const pump of this.pumps) pump.stop();
    for (const socket of this.sockets) socket.destroy();
    await this.closeListener();
  }

  private listen(port: number): Promise<void> {
    const server = net.createServer((client) => this.accept(client));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, LOOPBACK, () => {
        const address = server.address();
        if (typeof address === 'object' && address) this.boundPort = address.port;
        resolve();
      });
    });
  }

  private closeListener(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server?.listening) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }

  private remember(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    // A probe that resets the connection is normal traffic for a proxy, not a crash.
    socket.on('error', () => socket.destroy());
  }

  private accept(client: net.Socket): void {
    this.remember(client);
    switch (this.mode.mode) {
      case 'garbage':
        client.end(randomBytes(GARBAGE_BYTES));
        return;
      case 'blackhole':
        client.resume(); // read and drop whatever the client sends
        return;
      default:
        break;
    }
    const upstream = net.connect(this.upstreamPort, this.upstreamHost);
    this.remember(upstream);
    const pumps = [new Pump(client, upstream, () => this.mode), new Pump(upstream, client, () => this.mode)];
    for (const pump of pumps) this.pumps.add(pump);
    const forget = () => {
      for (const pump of pumps) {
        pump.stop();
        this.pumps.delete(pump);
      }
    };
    // Nobody is left to deliver to once the client is gone; an upstream that closes cleanly
    // is instead ended towards the client by its pump, after the held-back bytes.
    client.on('close', () => {
      forget();
      upstream.destroy();
    });
    upstream.on('error', () => client.destroy());
    upstream.on('close', () => {
      if (client.destroyed) forget();
    });
  }
}

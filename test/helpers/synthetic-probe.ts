import WebSocket from 'ws';
import { PROTOCOL_VERSION, type HubMessage } from '../../src/model/probe-protocol.ts';
import type { Sample } from '../../src/model/sample.ts';

export interface SyntheticProbeOptions {
  /** The hub's probe endpoint, `ws://HOST:PORT/probes`. */
  url: string;
  token: string;
  probe: string;
  region: string;
  targets: readonly { stream: string; line: string }[];
  /** What a target's window shows (default: healthy media). */
  window?: (target: { stream: string; line: string }, t: number) => Partial<Sample>;
  windowMs?: number;
  /** How often it pings the hub (its heartbeat for the detector). */
  pingMs?: number;
}

export interface SyntheticProbe {
  /** Resolves on the hub's welcome. */
  welcomed: Promise<void>;
  /** Samples sent, and the highest seq the hub acked. */
  readonly sent: number;
  readonly acked: number;
  /** Errors the hub answered with. */
  readonly errors: string[];
  stop(): void;
}

/**
 * A remote probe that reads no stream: it speaks the uplink protocol (docs/probe-protocol.md) like
 * `streamguard probe` — hello, a ping every `pingMs`, pongs to the hub's pings — and every
 * `windowMs` sends one Sample per target, as `window` describes it (its clock is this machine's).
 */
export function syntheticProbe(opts: SyntheticProbeOptions): SyntheticProbe {
  const windowMs = opts.windowMs ?? 1000;
  const ws = new WebSocket(opts.url, { headers: { authorization: `Bearer ${opts.token}` } });
  let seq = Date.now();
  let pingId = 0;
  let sent = 0;
  let acked = -1;
  const errors: string[] = [];
  const timers: NodeJS.Timeout[] = [];
  const send = (m: unknown) => {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(m));
  };
  const welcomed = new Promise<void>((resolve, reject) => {
    ws.on('error', reject);
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as HubMessage;
      if (m.type === 'welcome') resolve();
      else if (m.type === 'ping') send({ type: 'pong', id: m.id, t0: m.t0, t1: Date.now(), t2: Date.now() });
      else if (m.type === 'ack') acked = Math.max(acked, m.seq);
      else if (m.type === 'error') errors.push(`${m.code}: ${m.message}`);
    });
  });
  ws.on('open', () => {
    send({ type: 'hello', v: PROTOCOL_VERSION, region: opts.region, agent: 'synthetic-probe' });
    timers.push(setInterval(() => send({ type: 'ping', id: ++pingId, t0: Date.now() }), opts.pingMs ?? 250));
    timers.push(
      setInterval(() => {
        const t = Date.now();
        const samples: Sample[] = opts.targets.map((target) => ({
          probe: opts.probe,
          region: opts.region,
          ...target,
          seq: ++seq,
          t,
          windowMs,
          connected: true,
          fps: 25,
          bitrateBps: 1_500_000,
          width: 1280,
          height: 720,
          maxGapMs: 40,
          stallMs: 0,
          freezeMs: 0,
          ...opts.window?.(target, t),
        }));
        sent += samples.length;
        send({ type: 'samples', samples });
      }, windowMs),
    );
  });
  return {
    welcomed,
    get sent() {
      return sent;
    },
    get acked() {
      return acked;
    },
    errors,
    stop() {
      for (const t of timers) clearInterval(t);
      ws.terminate();
    },
  };
}

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigSchema } from '../../../src/config/schema.ts';
import { startHub, type HubHandle } from '../../../src/app/start.ts';
import { VendorDesk, type DeskTicket } from '../../../src/lab/vendor-desk.ts';
import type { Sample } from '../../../src/model/sample.ts';
import { until } from '../../helpers/until.ts';

export const REGIONS = ['eu', 'us'] as const;
const LINES = ['primary', 'backup'] as const;

/**
 * A whole hub (real detector, SQLite store, ticket service) on a manual clock, with no probes and
 * no timers, ticketing into the lab's vendor desk over HTTP. A test sends the samples, moves the
 * clock and runs the ticket service's tick itself.
 */
export interface DeskHub {
  handle: HubHandle;
  desk: VendorDesk;
  now(): number;
  /** Moves the clock on by `ms`. */
  advance(ms: number): void;
  /**
   * One 1 s window: the clock moves on 1 s, then each region sends one sample per line; a line
   * named in `down[region]` is disconnected there (refused). Regions send in REGIONS order.
   */
  window(down?: Partial<Record<(typeof REGIONS)[number], readonly string[]>>): void;
  /** Runs the ticket service's tick (changes taken, escalations, outbox drained). */
  tickets(): Promise<void>;
  /** Stops the hub and starts it again on the same data dir (the desk stays up). */
  restart(): Promise<void>;
  /** Ticks the tickets until `what` holds of the desk. */
  deskUntil<T>(what: string, fn: (tickets: readonly DeskTicket[]) => T | undefined | false): Promise<T>;
  stop(): Promise<void>;
}

export async function startDeskHub(over: { vendor?: Record<string, unknown>; incidents?: Record<string, unknown> } = {}): Promise<DeskHub> {
  const desk = new VendorDesk();
  const port = await desk.start();
  let now = 1_700_000_000_000;
  const config = ConfigSchema.parse({
    hub: { listen: '127.0.0.1:0', dataDir: mkdtempSync(join(tmpdir(), 'sg-desk-hub-')) },
    regions: [...REGIONS],
    streams: [{ id: 's1', lines: { primary: { url: 'rtmp://127.0.0.1/live/s1' }, backup: { url: 'http://127.0.0.1:8000/live/s1.flv' } } }],
    vendors: [{ name: 'cdn-desk', type: 'desk', url: `http://127.0.0.1:${port}`, minSeverity: 'P1', ...over.vendor }],
    ...(over.incidents && { incidents: over.incidents }),
  });
  const start = () => startHub(config, { listen: false, probes: false, tickMs: 0, clock: () => now });
  let handle = await start();
  const seq = new Map<string, number>();
  const sample = (region: string, line: string, down: boolean): Sample => {
    const probe = `p-${region}`;
    const n = (seq.get(probe) ?? 0) + 1;
    seq.set(probe, n);
    const base = { probe, region, stream: 's1', line, seq: n, t: now, windowMs: 1000, maxGapMs: 40, stallMs: 0, freezeMs: 0 };
    return down ? { ...base, connected: false, fps: 0, bitrateBps: 0, error: 'refused' } : { ...base, connected: true, fps: 25, bitrateBps: 2e6, width: 1280, height: 720 };
  };
  const tickets = () => handle.tickets!.tick();
  return {
    get handle() {
      return handle;
    },
    desk,
    now: () => now,
    advance: (ms) => void (now += ms),
    window: (down = {}) => {
      now += 1000;
      for (const region of REGIONS) {
        for (const line of LINES) {
          const r = handle.ingest(sample(region, line, down[region]?.includes(line) ?? false));
          if (!r.ok) throw new Error(`sample refused: ${JSON.stringify(r)}`);
        }
      }
    },
    tickets,
    restart: async () => {
      await handle.stop();
      handle = await start();
    },
    deskUntil: (what, fn) =>
      until(what, async () => {
        await tickets();
        return fn(desk.tickets);
      }),
    stop: async () => {
      await handle.stop();
      await desk.stop();
    },
  };
}

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigSchema } from '../../src/config/schema.ts';
import { startHub, type HubHandle } from '../../src/app/start.ts';
import { startLab, VendorDesk, type Lab, type LineName, type TruthRecord } from '../../src/lab/index.ts';
import type { ContentMode } from '../../src/model/stream.ts';
import { HubRest, type SwitchRow } from './hub-rest.ts';
import { until } from './until.ts';

/** The stream of a content lab hub: one stream, a primary and a backup line. */
export const STREAM = 's1';
/** The failback hold-off: short, so a run sees the failback soon after the picture returns. */
export const FAILBACK_HOLD_OFF_MS = 1000;

/** A switch to `to` decided after `after` (audit log), once there is one. */
export type SwitchWait = (to: LineName, after: number, timeoutMs: number) => Promise<SwitchRow>;

export interface ContentLabHub {
  lab: Lab;
  hub: HubHandle;
  /** The vendor desk (tickets) and the edge's switch webhook (its `hooks`): one lab service. */
  desk: VendorDesk;
  rest: HubRest;
  /** Which line /play serves now. */
  playing(): Promise<string>;
  switchTo: SwitchWait;
  /** The most windows of `line` one region's probe marked impaired in [from, to] (the sample history). */
  impairedWindows(line: LineName, from: number, to: number): Promise<number>;
  /** Resolves once the controller holds a health view of both lines and serves the primary. */
  ready(timeoutMs?: number): Promise<void>;
  /** The truth record of a content fault (`black`, `silence`, `loud`) once the lab has ended it. */
  ended(record: TruthRecord, timeoutMs: number): Promise<TruthRecord & { endedAt: number }>;
  stop(): Promise<void>;
}

/**
 * A real lab (ffmpeg publishers into node-media-server, fault proxies), the real hub with its
 * embedded probes in two regions (a: HTTP-FLV, b: RTMP) and content checks `content` on both
 * lines, the controller with a webhook actuator and a vendor desk: the path a content fault takes
 * from the picture to a switch and a ticket. Shared by the end-to-end test and the bench, so
 * both measure the same setup.
 */
export async function startContentLabHub(content: ContentMode): Promise<ContentLabHub> {
  const lab = await startLab({ streams: [{ id: STREAM, protocols: ['rtmp'] }] });
  const desk = new VendorDesk();
  let hub: HubHandle | undefined;
  try {
    const deskPort = await desk.start();
    const line = (name: LineName) => ({ url: lab.url(STREAM, name, 'http-flv'), regionUrls: { b: lab.url(STREAM, name, 'rtmp') }, content });
    const config = ConfigSchema.parse({
      hub: { listen: '127.0.0.1:0', dataDir: mkdtempSync(join(tmpdir(), 'sg-content-lab-')) },
      probe: { regions: ['a', 'b'] },
      streams: [{ id: STREAM, lines: { primary: line('primary'), backup: line('backup') } }],
      control: {
        // Repeated faults fail over and back many times: no flap damping in the way.
        default: { holdOff: `${FAILBACK_HOLD_OFF_MS}ms`, maxHoldOff: `${FAILBACK_HOLD_OFF_MS}ms`, minDwell: '1s', maxSwitchesPerHour: 1000 },
        actuators: [{ type: 'webhook', name: 'edge', url: `http://127.0.0.1:${deskPort}/hooks/edge`, actions: ['switch', 'escalate'], retries: 0 }],
      },
      vendors: [{ name: 'cdn-desk', type: 'desk', url: `http://127.0.0.1:${deskPort}` }],
    });
    hub = await startHub(config);
  } catch (err) {
    await desk.stop();
    await lab.stop();
    throw err;
  }
  const started = hub;
  const rest = new HubRest(started.url!);
  const playing = async () => {
    const res = await fetch(`${started.url}/api/v1/streams/${STREAM}/play?format=json`);
    if (!res.ok) throw new Error(`GET /play: HTTP ${res.status}`);
    return ((await res.json()) as { line: string }).line;
  };
  return {
    lab,
    hub: started,
    desk,
    rest,
    playing,
    switchTo: async (to, after, timeoutMs) =>
      until(`a switch to ${to}`, async () => {
        await rest.pollSwitches();
        return rest.switches().find((s) => s.stream === STREAM && s.to === to && s.t >= after);
      }, timeoutMs, 100),
    impairedWindows: async (line, from, to) => {
      const { samples } = await rest.samples([STREAM], from, to + 1);
      const byRegion = new Map<string, number>();
      for (const s of samples) if (s.line === line && s.impaired !== undefined) byRegion.set(s.region, (byRegion.get(s.region) ?? 0) + 1);
      return Math.max(0, ...byRegion.values());
    },
    ready: async (timeoutMs = 20_000) => {
      await until('both lines seen', () => Object.keys(started.controller?.health(STREAM) ?? {}).length === 2, timeoutMs);
      await until('the primary served', async () => (await playing()) === 'primary', timeoutMs);
    },
    ended: async (record, timeoutMs) =>
      until(`the end of ${record.kind} on ${record.stream}/${record.line}`, () => {
        const now = lab.truth().find((r) => r.id === record.id);
        return now?.endedAt !== undefined ? { ...now, endedAt: now.endedAt } : undefined;
      }, timeoutMs),
    stop: async () => {
      await started.stop();
      await lab.stop();
      await desk.stop();
    },
  };
}

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigSchema, type Config, type PerStream } from '../../src/config/schema.ts';
import { startHub, type HubHandle } from '../../src/app/start.ts';
import type { Sample } from '../../src/model/sample.ts';

/**
 * `metrics.perStream`: `all` exports every stream's series, `problems` only those of streams with
 * an open incident or a line degraded or down, `none` only the aggregates — scraped from a real
 * hub's /metrics. The aggregates the shipped alert rules and dashboard read exist in every mode.
 */

const REGIONS = ['eu', 'us', 'ap'];
const LINES = ['primary', 'backup'];
let handle: HubHandle | undefined;
/** The config `handle` started with. */
let running: Config;
afterEach(async () => {
  await handle?.stop();
  handle = undefined;
});

function config(streams: number, perStream: PerStream): Config {
  return ConfigSchema.parse({
    hub: { listen: '127.0.0.1:0', dataDir: mkdtempSync(join(tmpdir(), 'sg-per-stream-')) },
    regions: REGIONS,
    metrics: { perStream },
    streams: Array.from({ length: streams }, (_, i) => ({
      id: `s${i}`,
      lines: { primary: { url: `rtmp://127.0.0.1/live/s${i}` }, backup: { url: `http://127.0.0.1:8000/live/s${i}.flv` } },
    })),
  });
}

let seq = 0;
function sample(over: Partial<Sample>): Sample {
  return { probe: `p-${over.region ?? 'eu'}`, region: 'eu', stream: 's0', line: 'primary', seq: seq++, t: Date.now() + seq, windowMs: 1000, connected: true, fps: 25, bitrateBps: 1e6, maxGapMs: 40, stallMs: 0, freezeMs: 0, ...over };
}

/** A hub of `streams` streams, every view reported ok except `broken` streams' primary line, down from `us`. */
async function hub(streams: number, perStream: PerStream, broken: readonly number[]): Promise<HubHandle> {
  running = config(streams, perStream);
  handle = await startHub(running, { probes: false, tickMs: 0 });
  const down = new Set(broken);
  for (let i = 0; i < streams; i++) {
    for (const region of REGIONS) {
      for (const line of LINES) {
        const refused = down.has(i) && line === 'primary' && region === 'us';
        handle.ingest(sample({ stream: `s${i}`, line, region, ...(refused && { connected: false, fps: 0, bitrateBps: 0, error: 'refused' }) }));
      }
    }
  }
  handle.hub.tick();
  return handle;
}

/** Reloads the running config with another `metrics.perStream`. */
function switchTo(h: HubHandle, perStream: PerStream) {
  return h.reload({ ...running, metrics: { perStream } });
}

async function scrape(h: HubHandle): Promise<string[]> {
  const res = await fetch(`${h.url}/metrics`);
  expect(res.status).toBe(200);
  return (await res.text()).split('\n').filter((l) => l !== '' && !l.startsWith('#'));
}

/** Open incidents, all severities. */
const openIncidents = (lines: readonly string[]) => lines.filter((l) => l.startsWith('streamguard_incidents_open{')).reduce((n, l) => n + Number(l.split(' ')[1]), 0);

/** The streams named by any series of a scrape. */
const streamsOf = (lines: readonly string[]) => [...new Set(lines.flatMap((l) => [...l.matchAll(/stream="([^"]+)"/g)].map((m) => m[1]!)))].sort();

describe('metrics.perStream', () => {
  it('all: every stream has its series; the aggregates count streams by state', async () => {
    const lines = await scrape(await hub(4, 'all', [1]));
    expect(streamsOf(lines)).toEqual(['s0', 's1', 's2', 's3']);
    expect(lines).toContain('streamguard_line_health{stream="s1",line="primary",region="us"} 2');
    expect(lines).toContain('streamguard_streams{state="ok"} 3');
    expect(lines).toContain('streamguard_streams{state="degraded"} 1'); // one line of two down
    expect(lines).toContain('streamguard_streams{state="down"} 0');
    expect(openIncidents(lines)).toBe(1);
  });

  it('problems: only the streams with a line degraded or down (or an open incident) have series', async () => {
    const lines = await scrape(await hub(4, 'problems', [1, 3]));
    expect(streamsOf(lines)).toEqual(['s1', 's3']);
    expect(lines).toContain('streamguard_line_health{stream="s1",line="primary",region="us"} 2');
    expect(lines).toContain('streamguard_probe_up{stream="s3",line="primary",region="us"} 0');
    expect(lines).toContain('streamguard_fps{stream="s3",line="backup",region="eu"} 25'); // every series of a problem stream
    expect(lines).toContain('streamguard_streams{state="ok"} 2');
    expect(lines).toContain('streamguard_streams{state="degraded"} 2');
  });

  it('none: no per-stream series, only the aggregates', async () => {
    const lines = await scrape(await hub(4, 'none', [2]));
    expect(streamsOf(lines)).toEqual([]);
    expect(lines).toContain('streamguard_streams{state="ok"} 3');
    expect(lines).toContain('streamguard_streams{state="degraded"} 1');
    expect(openIncidents(lines)).toBe(1);
    expect(lines).toContain('streamguard_samples_total{region="eu"} 8');
  });

  it('follows a config reload: all → none → problems', async () => {
    const h = await hub(3, 'all', [0]);
    expect(streamsOf(await scrape(h))).toEqual(['s0', 's1', 's2']);
    expect(switchTo(h, 'none')).toMatchObject({ ok: true, changes: { sections: ['metrics'] } });
    expect(streamsOf(await scrape(h))).toEqual([]);
    expect(switchTo(h, 'problems')).toMatchObject({ ok: true });
    expect(streamsOf(await scrape(h))).toEqual(['s0']);
  });

  it('the aggregates the shipped alert rules and dashboard read exist in every mode', async () => {
    const shipped = ['config/prometheus/alerts.yml', 'config/grafana/streamguard.json'].map((f) => readFileSync(f, 'utf8')).join('\n');
    const used = new Set([...shipped.matchAll(/\b(streamguard_[a-z_]+)/g)].map((m) => m[1]!));
    const h = await hub(2, 'all', [1]);
    const nameOf = (l: string) => /^[a-z_:]+/.exec(l)![0];
    const all = await scrape(h);
    // The aggregates: series the `all` scrape has without a stream label.
    const aggregates = [...new Set(all.filter((l) => !l.includes('stream="')).map(nameOf))].filter((n) => used.has(n) || used.has(n.replace(/_(bucket|sum|count)$/, '')));
    expect(aggregates).toEqual(expect.arrayContaining(['streamguard_incidents_open', 'streamguard_samples_total', 'streamguard_detection_delay_seconds_bucket']));
    for (const mode of ['problems', 'none'] as const) {
      expect(switchTo(h, mode)).toMatchObject({ ok: true });
      const names = new Set((await scrape(h)).map(nameOf));
      expect(aggregates.filter((n) => !names.has(n)), mode).toEqual([]);
    }
  });
});

describe('metrics.perStream at 5,000 streams', () => {
  it('none and problems keep the scrape bounded whatever the stream count', async () => {
    const h = await hub(5000, 'none', [10, 20, 30]);
    const none = await scrape(h);
    expect(streamsOf(none)).toEqual([]);
    expect(none.length).toBeLessThan(300);
    expect(none).toContain('streamguard_streams{state="degraded"} 3');
    expect(switchTo(h, 'problems')).toMatchObject({ ok: true });
    const problems = await scrape(h);
    expect(streamsOf(problems)).toEqual(['s10', 's20', 's30']);
    // Each problem stream: its views' gauges (2 lines × 3 regions × a few metrics), nothing of the healthy 4,997.
    expect(problems.length - none.length).toBeLessThan(3 * 2 * 3 * 8);
    console.info(`5,000 streams: ${none.length} series with perStream none, ${problems.length} with problems (3 problem streams)`);
  }, 60_000);
});

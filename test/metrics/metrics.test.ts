import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../src/config/schema.ts';
import { startHub, type HubHandle } from '../../src/app/start.ts';
import type { Sample } from '../../src/model/sample.ts';
import { WAL_BOUNDS, type StoreFileName } from '../../src/store/sqlite/wal-guard.ts';

const REGIONS = ['eu', 'us', 'ap'];
let handle: HubHandle | undefined;
afterEach(async () => {
  await handle?.stop();
  handle = undefined;
});

async function hub(streams: number): Promise<HubHandle> {
  const config = ConfigSchema.parse({
    hub: { listen: '127.0.0.1:0', dataDir: mkdtempSync(join(tmpdir(), 'sg-metrics-')) },
    regions: REGIONS,
    streams: Array.from({ length: streams }, (_, i) => ({
      id: `s${i}`,
      lines: { primary: { url: `rtmp://127.0.0.1/live/s${i}` }, backup: { url: `http://127.0.0.1:8000/live/s${i}.flv` } },
    })),
  });
  handle = await startHub(config, { probes: false, tickMs: 0 });
  return handle;
}

let seq = 0;
function sample(over: Partial<Sample>): Sample {
  return { probe: `p-${over.region ?? 'eu'}`, region: 'eu', stream: 's0', line: 'primary', seq: seq++, t: Date.now() + seq, windowMs: 1000, connected: true, fps: 25, bitrateBps: 1e6, maxGapMs: 40, stallMs: 0, freezeMs: 0, ...over };
}

async function scrape(h: HubHandle): Promise<string> {
  const res = await fetch(`${h.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
}

const series = (text: string, name: string) => text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));

describe('/metrics', () => {
  it("exports each store file's WAL size with its bound", async () => {
    const text = await scrape(await hub(1));
    for (const file of ['hub', 'inbox', 'history']) {
      expect(text).toMatch(new RegExp(`^streamguard_store_wal_bytes\\{file="${file}"\\} \\d+$`, 'm'));
      expect(text).toContain(`streamguard_store_wal_bound_bytes{file="${file}"} ${WAL_BOUNDS[file as StoreFileName].boundBytes}`);
    }
  });

  it('exports the metric names of docs/architecture.md with stream/line/region labels', async () => {
    const h = await hub(2);
    h.ingest(sample({ latencyMs: 1200, startupMs: 300, avSyncMs: -40, avSkewMs: 20, freezeMs: 500, stallMs: 250, blackMs: 400, silenceMs: 1000, loudnessLufs: -9.5, truePeakDbtp: -0.5 }));
    h.ingest(sample({ region: 'us', connected: false, fps: 0, bitrateBps: 0, error: 'refused' }));
    h.hub.tick();
    const text = await scrape(h);
    const v = '{stream="s0",line="primary",region="eu"}';
    expect(text).toContain(`streamguard_probe_up${v} 1`);
    expect(text).toContain('streamguard_probe_up{stream="s0",line="primary",region="us"} 0');
    expect(text).toContain(`streamguard_latency_seconds${v} 1.2`);
    expect(text).toContain(`streamguard_startup_seconds${v} 0.3`);
    expect(text).toContain(`streamguard_av_sync_seconds${v} -0.04`);
    expect(text).toContain(`streamguard_av_skew_seconds${v} 0.02`);
    expect(text).toContain(`streamguard_stall_ratio${v} 0.25`);
    expect(text).toContain(`streamguard_fps${v} 25`);
    expect(text).toContain(`streamguard_bitrate_bps${v} 1000000`);
    expect(text).toContain(`streamguard_freeze_seconds_total${v} 0.5`);
    expect(text).toContain(`streamguard_black_ratio${v} 0.4`);
    expect(text).toContain(`streamguard_silence_ratio${v} 1`);
    expect(text).toContain(`streamguard_loudness_lufs${v} -9.5`);
    expect(text).toContain(`streamguard_true_peak_dbtp${v} -0.5`);
    // content checks off on the us view: no content series for it
    expect(text).not.toContain('streamguard_black_ratio{stream="s0",line="primary",region="us"}');
    expect(text).toContain('streamguard_samples_total{region="eu"} 1');
    expect(text).toContain('streamguard_line_health{stream="s0",line="primary",region="us"} 2');
    expect(text).toContain('streamguard_incidents_open{severity="P1"} 1');
    expect(text).toMatch(/streamguard_detection_delay_seconds_count 1/);
    expect(text).toMatch(/^process_cpu_seconds_total /m);
    expect(text).not.toMatch(/\{[^}]*(refused|rtmp:\/\/)[^}]*\}/); // no errors or URLs in labels
  });

  it('keeps cardinality at streams × lines × regions with 1,000 streams, whatever probes send', async () => {
    const h = await hub(1000);
    for (let i = 0; i < 1000; i++) {
      for (const region of REGIONS) {
        for (const line of ['primary', 'backup']) h.ingest(sample({ stream: `s${i}`, line, region }));
      }
    }
    // Unknown streams, lines and regions are not exported.
    h.ingest(sample({ stream: 'not-configured', region: 'eu' }));
    h.ingest(sample({ stream: 's1', line: 'line-3', region: 'eu' }));
    h.ingest(sample({ stream: 's1', region: 'mars' }));
    h.hub.tick();
    const text = await scrape(h);
    expect(series(text, 'streamguard_fps')).toHaveLength(1000 * 2 * 3);
    expect(series(text, 'streamguard_probe_up')).toHaveLength(6000);
    expect(series(text, 'streamguard_line_health')).toHaveLength(6000);
    expect(series(text, 'streamguard_samples_total')).toHaveLength(3);
    expect(text).not.toMatch(/not-configured|line-3|mars/);
  });
});

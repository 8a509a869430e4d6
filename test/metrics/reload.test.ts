import { describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../src/config/schema.ts';
import { HubMetrics } from '../../src/metrics/metrics.ts';
import type { Sample } from '../../src/model/sample.ts';
import { EventBus } from '../../src/common/event-bus.ts';

/** The metrics' part of a config reload: label sets follow the new streams, lines and regions; the reload gauges. */

const LINES = { primary: { url: 'rtmp://127.0.0.1/live/x' }, backup: { url: 'http://127.0.0.1:8000/live/x.flv' } };

function config(regions: string[], streams: Record<string, Record<string, { url: string }>>) {
  return ConfigSchema.parse({ regions, streams: Object.entries(streams).map(([id, lines]) => ({ id, lines })) });
}

let seq = 0;
function sample(over: Partial<Sample>): Sample {
  return { probe: 'p', region: 'eu', stream: 's1', line: 'primary', seq: ++seq, t: seq, windowMs: 1000, connected: true, fps: 25, bitrateBps: 1e6, maxGapMs: 40, stallMs: 0, freezeMs: 0, ...over };
}

function setup() {
  const bus = new EventBus();
  const metrics = new HubMetrics(config(['eu', 'us'], { s1: LINES, s2: LINES }), { bus, incidents: { open: () => [] }, lineViews: () => [], probeStatus: () => [], stats: { stalls: 0, stalledMs: 0 } });
  return { bus, metrics };
}

/** The `streamguard_fps` series, one `stream/line/region` each. */
async function fpsSeries(metrics: HubMetrics): Promise<string[]> {
  const text = await metrics.text();
  return [...text.matchAll(/^streamguard_fps\{stream="([^"]+)",line="([^"]+)",region="([^"]+)"\}/gm)].map((m) => `${m[1]}/${m[2]}/${m[3]}`).sort();
}

describe('metrics across a config reload', () => {
  it('the series of removed streams, lines and regions are gone; new ones appear with their samples', async () => {
    const { bus, metrics } = setup();
    for (const stream of ['s1', 's2']) for (const region of ['eu', 'us']) bus.publish('sample', sample({ stream, region }));
    bus.publish('sample', sample({ stream: 's1', line: 'backup' }));
    expect(await fpsSeries(metrics)).toEqual(['s1/backup/eu', 's1/primary/eu', 's1/primary/us', 's2/primary/eu', 's2/primary/us']);

    const commit = metrics.prepareReload(config(['eu'], { s1: { primary: LINES.primary }, s3: LINES }));
    expect(await fpsSeries(metrics)).toHaveLength(5); // prepared, not applied
    commit();
    expect(await fpsSeries(metrics)).toEqual(['s1/primary/eu']);
    expect(await metrics.text()).not.toMatch(/streamguard_samples_total\{region="us"\}/);

    bus.publish('sample', sample({ stream: 's3', line: 'backup' }));
    bus.publish('sample', sample({ stream: 's2' }));
    expect(await fpsSeries(metrics)).toEqual(['s1/primary/eu', 's3/backup/eu']);
  });

  it('streamguard_config_last_reload_successful and _success_timestamp_seconds, as Prometheus names its own', async () => {
    const { metrics } = setup();
    const value = async (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(await metrics.text())![1]);
    metrics.configLoaded(true, 1_700_000_000_000);
    expect(await value('streamguard_config_last_reload_successful')).toBe(1);
    metrics.configLoaded(false, 1_700_000_005_000);
    expect(await value('streamguard_config_last_reload_successful')).toBe(0);
    expect(await value('streamguard_config_last_reload_success_timestamp_seconds')).toBe(1_700_000_000);
    metrics.configLoaded(true, 1_700_000_009_000);
    expect(await value('streamguard_config_last_reload_successful')).toBe(1);
    expect(await value('streamguard_config_last_reload_success_timestamp_seconds')).toBe(1_700_000_009);
  });
});

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startHub } from '../../src/app/start.ts';
import { ConfigSchema } from '../../src/config/schema.ts';
import { dashboardExprs, loadDashboard } from './dashboard.ts';

/** The metric names a real hub's /metrics declares (# TYPE lines), without the prefix. */
async function servedMetricNames(): Promise<Set<string>> {
  const config = ConfigSchema.parse({ streams: [{ id: 's1', lines: { primary: { url: 'rtmp://127.0.0.1:1/live/s1' } } }] });
  const hub = await startHub(config, { probes: false, listen: '127.0.0.1:0', dataDir: mkdtempSync(join(tmpdir(), 'sg-dashboard-')) });
  try {
    const text = await (await fetch(`${hub.url}/metrics`)).text();
    return new Set([...text.matchAll(/^# TYPE streamguard_([a-z_]+) /gm)].map((m) => m[1]!));
  } finally {
    await hub.stop();
  }
}

describe('config/grafana/streamguard.json', () => {
  const d = loadDashboard();
  const exprs = dashboardExprs(d);

  it('is a dashboard with unique panel ids, a datasource variable and stream/line/region filters', () => {
    expect(d.uid).toBe('streamguard');
    const ids = d.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(d.templating.list.map((v) => v.name)).toEqual(expect.arrayContaining(['datasource', 'stream', 'line', 'region']));
    expect(d.panels.filter((p) => p.type !== 'row').every((p) => (p.targets ?? []).length > 0)).toBe(true);
  });

  it('covers health, latency, stall, A/V sync, fps, bitrate, incidents, failovers, detection and action delay', () => {
    const all = exprs.map((e) => e.expr).join('\n');
    for (const m of ['line_health', 'probe_up', 'active_line', 'latency_seconds', 'stall_ratio', 'av_sync_seconds', 'av_skew_seconds', 'fps', 'bitrate_bps', 'startup_seconds', 'freeze_seconds_total', 'incidents_open', 'failovers_total', 'detection_delay_seconds_bucket', 'action_delay_seconds_bucket', 'tickets_total', 'samples_total', 'feature_enabled']) {
      expect(all, `streamguard_${m} on the dashboard`).toContain(`streamguard_${m}`);
    }
  });

  it("names only metrics a hub's /metrics declares", async () => {
    const served = await servedMetricNames();
    const used = new Set(exprs.flatMap((e) => [...e.expr.matchAll(/streamguard_([a-z_]+)/g)].map((m) => m[1]!)));
    for (const name of used) expect(served, `streamguard_${name}`).toContain(name.replace(/_(bucket|sum|count)$/, ''));
  });
});

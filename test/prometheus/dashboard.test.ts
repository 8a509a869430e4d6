import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dashboardExprs, loadDashboard } from './dashboard.ts';

const metricsSource = readFileSync(join(import.meta.dirname, '..', '..', 'src', 'metrics', 'metrics.ts'), 'utf8');

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

  it('names only metrics that src/metrics/metrics.ts exports', () => {
    const used = new Set(exprs.flatMap((e) => [...e.expr.matchAll(/streamguard_([a-z_]+)/g)].map((m) => m[1]!)));
    for (const name of used) {
      const base = name.replace(/_(bucket|sum|count)$/, '');
      // metrics.ts writes the names as `${P}name` or 'name' after the P prefix.
      expect(metricsSource, `streamguard_${name}`).toMatch(new RegExp(`['\`](?:\\$\\{P\\})?${base}['\`]|\\$\\{P\\}${base}\\b`));
    }
  });
});

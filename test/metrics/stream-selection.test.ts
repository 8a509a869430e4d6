import { Histogram } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { soleOwnership } from '../../src/cluster/ownership.ts';
import { EventBus } from '../../src/common/event-bus.ts';
import { ConfigSchema, type PerStream } from '../../src/config/schema.ts';
import { HubMetrics } from '../../src/metrics/metrics.ts';
import { selectStreams } from '../../src/metrics/stream-selection.ts';
import type { Level } from '../../src/model/severity.ts';

/** Which streams a scrape exports, by `metrics.perStream`, and the streams-by-state aggregate. */

const TWO_LINES = new Set(['primary', 'backup']);
type Views = Record<string, { line: string; region: string; level: Level }[]>;
const VIEWS: Views = {
  healthy: [{ line: 'primary', region: 'eu', level: 'ok' }, { line: 'backup', region: 'eu', level: 'ok' }],
  'one-line-down': [{ line: 'primary', region: 'eu', level: 'down' }, { line: 'backup', region: 'eu', level: 'ok' }],
  'all-lines-down': [{ line: 'primary', region: 'us', level: 'down' }, { line: 'primary', region: 'eu', level: 'ok' }, { line: 'backup', region: 'eu', level: 'down' }],
  'ok-with-incident': [{ line: 'primary', region: 'eu', level: 'ok' }],
  'not-seen-yet': [],
};

function select(mode: PerStream) {
  return selectStreams({
    mode,
    ownership: soleOwnership,
    streams: new Map(Object.keys(VIEWS).map((s) => [s, TWO_LINES])),
    regions: new Set(['eu', 'us']),
    lineViews: (stream) => VIEWS[stream]!,
    withIncident: new Set(['ok-with-incident']),
  });
}

const exportedOf = (mode: PerStream) => Object.keys(VIEWS).filter((s) => select(mode).exported(s));

describe('stream selection', () => {
  it('counts streams by state: down only when every line is down from some region', () => {
    expect(select('none').states).toEqual({ ok: 2, degraded: 1, down: 1, unknown: 1 });
  });

  it('all exports every stream, problems those degraded, down or with an open incident, none nothing', () => {
    expect(exportedOf('all')).toEqual(Object.keys(VIEWS));
    expect(exportedOf('problems')).toEqual(['one-line-down', 'all-lines-down', 'ok-with-incident']);
    expect(exportedOf('none')).toEqual([]);
    expect(select('problems').lineHealth.map((h) => `${h.stream}/${h.line}/${h.region}=${h.level}`)).toEqual([
      'one-line-down/primary/eu=down',
      'one-line-down/backup/eu=ok',
      'all-lines-down/primary/us=down',
      'all-lines-down/primary/eu=ok',
      'all-lines-down/backup/eu=down',
      'ok-with-incident/primary/eu=ok',
    ]);
  });
});

describe("the controller's series by metrics.perStream", () => {
  async function scrape(perStream: PerStream): Promise<string[]> {
    const config = ConfigSchema.parse({ regions: ['eu', 'us'], metrics: { perStream }, streams: ['healthy', 'one-line-down'].map((id) => ({ id, lines: { primary: { url: 'rtmp://127.0.0.1/live/x' }, backup: { url: 'rtmp://127.0.0.1/live/y' } } })) });
    const m = new HubMetrics(config, { bus: new EventBus(), incidents: { open: () => [] }, lineViews: (s) => VIEWS[s]!, probeStatus: () => [], stats: { stalls: 0, stalledMs: 0 } });
    m.attachController({
      actionDelay: new Histogram({ name: 'streamguard_action_delay_seconds', help: 'fault onset to action done', registers: [] }),
      metrics: () => ({
        failoversTotal: [
          { stream: 'healthy', from: 'primary', to: 'backup', reason: 'failover', value: 2 },
          { stream: 'one-line-down', from: 'primary', to: 'backup', reason: 'failover', value: 1 },
        ],
        actionsTotal: [],
        activeLine: [{ stream: 'healthy', line: 'backup' }, { stream: 'one-line-down', line: 'backup' }],
        featureEnabled: [],
      }),
    });
    return (await m.text()).split('\n').filter((l) => l.startsWith('streamguard_failovers_total') || l.startsWith('streamguard_active_line'));
  }

  it('failovers by stream with all; summed over the streams otherwise (a counter must not come and go); active line as selected', async () => {
    expect(await scrape('all')).toEqual([
      'streamguard_active_line{stream="healthy",line="backup"} 1',
      'streamguard_active_line{stream="one-line-down",line="backup"} 1',
      'streamguard_failovers_total{stream="healthy",from="primary",to="backup",reason="failover"} 2',
      'streamguard_failovers_total{stream="one-line-down",from="primary",to="backup",reason="failover"} 1',
    ]);
    expect(await scrape('problems')).toEqual(['streamguard_active_line{stream="one-line-down",line="backup"} 1', 'streamguard_failovers_total{from="primary",to="backup",reason="failover"} 3']);
    expect(await scrape('none')).toEqual(['streamguard_failovers_total{from="primary",to="backup",reason="failover"} 3']);
  });
});

import { describe, expect, it } from 'vitest';
import type { Ownership } from '../../src/cluster/ownership.ts';
import { EventBus } from '../../src/common/event-bus.ts';
import { ConfigSchema } from '../../src/config/schema.ts';
import type { ClusterStatus } from '../../src/metrics/cluster-status.ts';
import { HubMetrics } from '../../src/metrics/metrics.ts';
import type { Level, Severity } from '../../src/model/severity.ts';
import type { Sample } from '../../src/model/sample.ts';

/**
 * A hub of a cluster: its /metrics name only the streams it owns (another hub exports the rest,
 * so sums over the hubs count each stream once), and the cluster series read its ClusterStatus.
 */

const LINES = { primary: { url: 'rtmp://127.0.0.1/live/x' } };
const STREAMS = ['s1', 's2', 's3'];

let seq = 0;
function sample(stream: string): Sample {
  return { probe: 'p', region: 'eu', stream, line: 'primary', seq: ++seq, t: seq, windowMs: 1000, connected: true, fps: 25, bitrateBps: 1e6, maxGapMs: 40, stallMs: 0, freezeMs: 0 };
}

/** Owns s1, s3 and probe p's pseudo-stream. */
const owned = new Set(['s1', 's3', 'probe:p']);
const ownership: Ownership = { actingOn: () => undefined, owns: (stream) => owned.has(stream), subscribe: () => undefined };

function metricsOf(perStream: 'all' | 'problems' | 'none') {
  const bus = new EventBus();
  const config = ConfigSchema.parse({ regions: ['eu'], metrics: { perStream }, streams: STREAMS.map((id) => ({ id, lines: LINES })) });
  const incidents: { severity: Severity; stream?: string; probe?: string }[] = [
    { severity: 'P1', stream: 's1' },
    { severity: 'P1', stream: 's2' },
    { severity: 'P3', probe: 'p' },
    { severity: 'P3', probe: 'q' },
  ];
  const level: Record<string, Level> = { s1: 'down', s2: 'down', s3: 'ok' };
  const metrics = new HubMetrics(
    config,
    {
      bus,
      incidents: { open: () => incidents },
      lineViews: (stream) => [{ line: 'primary', region: 'eu', level: level[stream]! }],
      probeStatus: () => [],
      stats: { stalls: 0, stalledMs: 0 },
    },
    { ownership },
  );
  for (const stream of STREAMS) bus.publish('sample', sample(stream));
  return metrics;
}

const lines = async (m: HubMetrics) => (await m.text()).split('\n').filter((l) => l.startsWith('streamguard_'));

describe('metrics of a hub in a cluster', () => {
  it('exports the series and counts of the streams and probes it owns only', async () => {
    const text = await lines(metricsOf('all'));
    expect(text).toContain('streamguard_fps{stream="s1",line="primary",region="eu"} 25');
    expect(text).toContain('streamguard_fps{stream="s3",line="primary",region="eu"} 25');
    expect(text.filter((l) => l.includes('stream="s2"'))).toEqual([]);
    expect(text).toContain('streamguard_line_health{stream="s1",line="primary",region="eu"} 2');
    expect(text).toContain('streamguard_streams{state="down"} 1');
    expect(text).toContain('streamguard_streams{state="ok"} 1');
    expect(text).toContain('streamguard_incidents_open{severity="P1"} 1');
    expect(text).toContain('streamguard_incidents_open{severity="P3"} 1');
  });

  it('problems: of the owned streams, those with a problem', async () => {
    const text = await lines(metricsOf('problems'));
    expect([...new Set(text.flatMap((l) => [...l.matchAll(/stream="([^"]+)"/g)].map((m) => m[1])))]).toEqual(['s1']);
  });

  it('exports the cluster series of its ClusterStatus; a shard given up leaves no epoch behind', async () => {
    const m = metricsOf('none');
    const status = { held: [{ shard: 3, epoch: 7 }, { shard: 12, epoch: 1 }], takeovers: 1, fenced: 0 };
    const port: ClusterStatus = {
      shards: () => status.held,
      get takeovers() {
        return status.takeovers;
      },
      get fenced() {
        return status.fenced;
      },
    };
    m.attachCluster(port);
    let text = await lines(m);
    expect(text).toContain('streamguard_cluster_shards_owned 2');
    expect(text).toContain('streamguard_cluster_lease_epoch{shard="3"} 7');
    expect(text).toContain('streamguard_cluster_lease_epoch{shard="12"} 1');
    expect(text).toContain('streamguard_cluster_takeovers_total 1');
    expect(text).toContain('streamguard_cluster_fenced_writes_total 0');

    status.held = [{ shard: 12, epoch: 1 }, { shard: 40, epoch: 5 }];
    status.takeovers = 2;
    status.fenced = 3;
    text = await lines(m);
    expect(text).toContain('streamguard_cluster_shards_owned 2');
    expect(text.filter((l) => l.startsWith('streamguard_cluster_lease_epoch'))).toEqual(['streamguard_cluster_lease_epoch{shard="12"} 1', 'streamguard_cluster_lease_epoch{shard="40"} 5']);
    expect(text).toContain('streamguard_cluster_takeovers_total 2');
    expect(text).toContain('streamguard_cluster_fenced_writes_total 3');
  });

  it('a lone hub exports no cluster series', async () => {
    const bus = new EventBus();
    const config = ConfigSchema.parse({ regions: ['eu'], streams: [{ id: 's1', lines: LINES }] });
    const m = new HubMetrics(config, { bus, incidents: { open: () => [] }, lineViews: () => [], probeStatus: () => [], stats: { stalls: 0, stalledMs: 0 } });
    expect((await m.text()).includes('streamguard_cluster_')).toBe(false);
  });
});

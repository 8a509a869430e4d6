import { describe, expect, it } from 'vitest';
import { chartTables, mergeSamples, type SampleLike } from '../../src/console/public/chart-series.js';
import { chartMarkers, placeLabels } from '../../src/console/public/chart-annotations.js';

const sample = (t: number, over: Partial<SampleLike> = {}): SampleLike => ({ probe: 'p', seq: t, line: 'primary', region: 'eu', t, latencyMs: 100, stallMs: 0, fps: 25, bitrateBps: 2_000_000, ...over });
const rollup = (minute: number) => ({ minute, line: 'primary', region: 'eu', samples: 60, latencyAvgMs: 200, stallMs: 600, fpsAvg: 24, bitrateAvg: 1_000_000 });

describe('console chart series', () => {
  it('one column per line/region, the mean of each bucket, null where nothing came; rollups fill older minutes', () => {
    const samples = [sample(120_000), sample(120_500, { latencyMs: 300 }), sample(121_000, { region: 'sg' })];
    const tables = chartTables(samples, [rollup(0)], { from: 0, to: 180_000, stepMs: 60_000 });
    const latency = tables.find((t) => t.chart.field === 'latencyMs')!;
    expect(latency.t).toEqual([0, 60_000, 120_000]);
    expect(latency.views).toEqual(['primary/eu', 'primary/sg']);
    expect(latency.columns).toEqual([
      [200, null, 200],
      [null, null, 100],
    ]);
    // A rollup's stall is the minute's sum: drawn per window, as raw samples are.
    expect(tables.find((t) => t.chart.field === 'stallMs')!.columns[0]).toEqual([10, null, 0]);
    expect(tables.find((t) => t.chart.field === 'bitrateBps')!.columns[0]).toEqual([1, null, 2]);
  });

  it('a content or marker chart appears only when some line carries its field', () => {
    const plain = chartTables([sample(500)], [], { from: 0, to: 1000, stepMs: 1000 }).map((t) => t.chart.field);
    expect(plain).toEqual(['latencyMs', 'stallMs', 'fps', 'bitrateBps']);
    const content = chartTables([sample(500, { blackMs: 1000, loudnessLufs: -23 })], [], { from: 0, to: 1000, stepMs: 1000 });
    expect(content.map((t) => t.chart.field)).toEqual(['latencyMs', 'stallMs', 'fps', 'bitrateBps', 'blackMs', 'loudnessLufs']);
    expect(content.at(-1)!.columns).toEqual([[-23]]);
  });

  it('merges polled samples once each, drops those before the range, oldest first', () => {
    const held = [sample(1000), sample(2000)];
    expect(mergeSamples(held, [sample(2000), sample(3000), sample(500)], 1500).map((s) => s.t)).toEqual([2000, 3000]);
  });
});

describe('console chart markers', () => {
  const inc = { id: 's1/primary/down@1000', kind: 'down', stream: 's1', line: 'primary', scope: 'line', status: 'resolved', peakSeverity: 'P1', onset: 900, openedAt: 1000, resolvedAt: 5000 };
  const switchRow = { t: 1100, actor: 'policy:failover', action: 'control.switch', target: 'stream:s1 line:primary>backup', reason: 'down', data: { action: { from: 'primary', to: 'backup' } } };

  it('marks an incident onset and resolution and every switch within the range, oldest first', () => {
    const markers = chartMarkers([{ incident: inc, actions: [], resolution: { t: 5000, type: 'resolved', data: { cause: 'cleared' } } }], [switchRow, { ...switchRow, action: 'ws.ack' }], { from: 0, to: 10_000 });
    expect(markers).toEqual([
      { t: 900, kind: 'incident', severity: 'P1', label: 'P1 down primary' },
      { t: 1100, kind: 'switch', label: 'switch primary → backup' },
      { t: 5000, kind: 'resolved', severity: 'P1', label: 'resolved primary: cleared' },
    ]);
    expect(chartMarkers([{ incident: inc, actions: [] }], [switchRow], { from: 1000, to: 4000 }).map((m) => m.kind)).toEqual(['switch']);
  });

  it('puts a label right of its line, left when it would run past the edge, and down a lane only when it would overlap another', () => {
    const lanes = (x: number[], w: number[], right = 1000) => placeLabels(x, w, right).map((p) => p.lane);
    expect(lanes([0, 10, 20, 200], [100, 100, 100, 50])).toEqual([0, 1, 2, 0]);
    expect(lanes([0, 110], [100, 10])).toEqual([0, 0]);
    expect(placeLabels([990], [50], 1000)).toEqual([{ lane: 0, start: 936 }]);
    // Flipped left of its line, it would cover the label before it: next lane.
    expect(placeLabels([900, 990], [50, 50], 1000)).toEqual([{ lane: 0, start: 904 }, { lane: 1, start: 936 }]);
    expect(placeLabels([], [], 1000)).toEqual([]);
  });
});

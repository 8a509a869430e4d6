import { describe, expect, it } from 'vitest';
import { createDetector, restoreIncidents, type Detector } from '../../src/detect/detector.ts';
import type { ActiveIncident } from '../../src/detect/grade.ts';
import type { IncidentEvent } from '../../src/model/incident.ts';
import type { Sample } from '../../src/model/sample.ts';
import { sample, stream } from './helpers.ts';

/**
 * Incidents restored after a hub restart keep their state until fresh samples (from after the
 * restart) show otherwise: no data, or data about another line, is not evidence that a line is
 * healthy. Resolving on absence of data sent the vendor a false `resolve` and a `reopen` a second
 * later, once the line's first samples arrived and showed it still down.
 *
 * Stream s1 with lines primary/backup, one probe per region (`p-<region>`), 1 s windows. The
 * incidents are restored at hub time 0; window i's samples arrive at 1000·i + 100, ticks run at
 * 1000·i + 500.
 */

const REFUSED: Partial<Sample> = { connected: false, fps: 0, bitrateBps: 0, stallMs: 1000, error: 'refused' };
/** Connected but nothing flows: down only once no-media's 2 s have passed, `ok` until then. */
const NO_MEDIA: Partial<Sample> = { fps: 0, bitrateBps: 0, stallMs: 1000, maxGapMs: 1000 };
const HEALTHY: Partial<Sample> = {};

type Send = Partial<Record<'primary' | 'backup', Partial<Record<string, Partial<Sample>>>>>;

function restoredDown(line: 'primary' | 'backup', regions: string[], severity: 'P0' | 'P1' = 'P1'): ActiveIncident {
  return {
    key: `s1/${line}/down`,
    kind: 'down',
    stream: 's1',
    line,
    severity,
    scope: severity === 'P0' ? 'stream' : 'line',
    openedAt: -60_000,
    onset: -60_100,
    regions: regions.map((region) => ({ region, probe: `p-${region}`, level: 'down' as const, onset: -60_100, seenAt: -60_000, reasons: [] })),
    firstSeen: Object.fromEntries(regions.map((r) => [r, -60_100])),
  };
}

class Restarted {
  readonly det: Detector = createDetector({ streams: [stream({ id: 's1' })] });
  private i = 0;
  private readonly seq = new Map<string, number>();
  constructor(incidents: ActiveIncident[]) {
    restoreIncidents(this.det.ctx, this.det.state, incidents, 0);
  }
  /** `n` windows; `send(i)` says what each probe reports per line in window i (absent: nothing). */
  run(n: number, send: (i: number) => Send = () => ({})): string[] {
    const out: string[] = [];
    for (let k = 0; k < n; k++) {
      const i = ++this.i;
      const T = 1000 * i;
      for (const [line, byRegion] of Object.entries(send(i))) {
        for (const [region, over] of Object.entries(byRegion ?? {})) {
          const probe = `p-${region}`;
          const seq = (this.seq.get(probe) ?? 0) + 1;
          this.seq.set(probe, seq);
          out.push(...brief(this.det.step(sample({ probe, region, line, seq, t: T, ...over }), T + 100)));
        }
      }
      out.push(...brief(this.det.step({ type: 'tick' }, T + 500)));
    }
    return out;
  }
  active(): string[] {
    return this.det
      .activeIncidents()
      .map((x) => `${x.key} ${x.severity} ${x.scope} opened ${x.openedAt}`)
      .sort();
  }
}

function brief(events: IncidentEvent[]): string[] {
  return events.map((e) => `${e.at} ${e.type} ${e.key} ${e.severity}${e.cause ? ' ' + e.cause : ''}`);
}

describe('restored incidents keep their state until fresh evidence', () => {
  it('no samples at all, long past any grace time → not cleared', () => {
    const hub = new Restarted([restoredDown('primary', ['eu'])]);
    expect(hub.run(60)).toEqual([]);
    expect(hub.active()).toEqual(['s1/primary/down P1 line opened -60000']);
  });

  it('only the other line reports (healthy, then a change) while the restored line has no data → not cleared', () => {
    const hub = new Restarted([restoredDown('primary', ['eu'])]);
    // The backup's freeze trips and clears: view changes that grade the stream without any primary data.
    const events = hub.run(30, (i) => ({ backup: { eu: i >= 3 && i <= 6 ? { freezeMs: 1000 } : HEALTHY } }));
    expect(events.filter((e) => e.includes('primary'))).toEqual([]);
    expect(hub.active()).toEqual(['s1/primary/down P1 line opened -60000']);
  });

  it('the line reports down again (refused at once) → the same incident continues: no clear, no reopen', () => {
    const hub = new Restarted([restoredDown('primary', ['eu'])]);
    expect(hub.run(30, () => ({ primary: { eu: REFUSED }, backup: { eu: HEALTHY } }))).toEqual([]);
    expect(hub.active()).toEqual(['s1/primary/down P1 line opened -60000']);
  });

  it('the line’s first fresh view is `ok` only until no-media trips (2 s) → not taken for health', () => {
    // Restored P0: the backup's first healthy view grades the stream at once, while the primary's
    // view is still at its initial `ok`. The P0 is lowered when the primary is seen down again.
    const p0 = { ...restoredDown('primary', ['eu'], 'P0'), related: ['s1/backup/down'] };
    const hub = new Restarted([p0]);
    expect(hub.run(30, () => ({ primary: { eu: NO_MEDIA }, backup: { eu: HEALTHY } }))).toEqual(['2100 lower s1/primary/down P1']);
    expect(hub.active()).toEqual(['s1/primary/down P1 line opened -60000']);
  });

  it('the line reports healthy → cleared once its samples span the clear time (disconnected/no-media clearFor, 2 s)', () => {
    const hub = new Restarted([restoredDown('primary', ['eu'])]);
    // First healthy view at 1100; its samples span 2 s at 3100, graded on the tick at 3500.
    expect(hub.run(2, () => ({ primary: { eu: HEALTHY } }))).toEqual([]);
    expect(hub.run(1, () => ({ primary: { eu: HEALTHY } }))).toEqual(['3500 clear s1/primary/down P1']);
    expect(hub.active()).toEqual([]);
  });

  it('down after the restart, then healthy → cleared by the rules’ own hysteresis, as any live incident', () => {
    const hub = new Restarted([restoredDown('primary', ['eu'])]);
    expect(hub.run(5, () => ({ primary: { eu: REFUSED }, backup: { eu: HEALTHY } }))).toEqual([]);
    expect(hub.run(3, () => ({ primary: { eu: HEALTHY }, backup: { eu: HEALTHY } }))).toEqual(['7100 clear s1/primary/down P1']);
  });

  it('seen in two regions: cleared only once both have fresh evidence that the line is healthy', () => {
    const hub = new Restarted([restoredDown('primary', ['eu', 'us'])]);
    expect(hub.run(20, () => ({ primary: { eu: HEALTHY } }))).toEqual([]);
    expect(hub.active()).toEqual(['s1/primary/down P1 line opened -60000']);
    expect(hub.run(2, () => ({ primary: { eu: HEALTHY, us: HEALTHY } }))).toEqual([]);
    expect(hub.run(1, () => ({ primary: { eu: HEALTHY, us: HEALTHY } }))).toEqual(['23500 clear s1/primary/down P1']);
  });

  it('seen in two regions, one reports it down again: the same incident continues, the silent region cannot clear it', () => {
    const hub = new Restarted([restoredDown('primary', ['eu', 'us'])]);
    expect(hub.run(20, () => ({ primary: { eu: REFUSED }, backup: { eu: HEALTHY } }))).toEqual([]);
    expect(hub.active()).toEqual(['s1/primary/down P1 line opened -60000']);
  });

  it('restored P0 with the backup’s P1: the backup’s incident stays while the backup has no data', () => {
    const p0 = { ...restoredDown('primary', ['eu'], 'P0'), related: ['s1/backup/down'] };
    const hub = new Restarted([p0, restoredDown('backup', ['eu'])]);
    expect(hub.run(30, () => ({ primary: { eu: REFUSED } }))).toEqual([]);
    expect(hub.active()).toEqual(['s1/backup/down P1 line opened -60000', 's1/primary/down P0 stream opened -60000']);
  });

  it('a line without a restored incident keeps the start-up grace (P0 once it ends)', () => {
    const hub = new Restarted([restoredDown('primary', ['eu'])]);
    expect(hub.run(5, () => ({ primary: { eu: REFUSED } }))).toEqual(['4500 raise s1/primary/down P0 stream-down']);
  });
});

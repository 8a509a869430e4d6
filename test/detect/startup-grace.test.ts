import { describe, expect, it } from 'vitest';
import { createDetector, restoreIncidents, type DetectorConfig } from '../../src/detect/detector.ts';
import type { ActiveIncident } from '../../src/detect/grade.ts';
import type { IncidentEvent } from '../../src/model/incident.ts';
import type { Sample } from '../../src/model/sample.ts';
import { sample, stream } from './helpers.ts';

/**
 * Start-up grace (defect: a false P0 at every hub start). Until every configured line of a stream
 * has sent its first sample, "every line with data is down" must not make the stream down (P0):
 * a line still connecting is unknown, not down. After `startupGraceWindows` windows from the
 * stream's first sample, lines that never reported are left out as before.
 *
 * Each case: one probe (region eu), stream s1 with lines primary/backup (config order), 1 s windows.
 * Per window i (1-based) and line, the script says what the probe sends: 'down', 'ok' or '-' (nothing
 * yet). Samples are ingested at T+100 (T = 1000·i), ticks run at T+500.
 */

type Cell = 'down' | 'ok' | '-';
type Script = Record<'primary' | 'backup', Cell[]>;

const DOWN: Partial<Sample> = { connected: false, fps: 0, bitrateBps: 0, stallMs: 1000, error: 'refused' };

function brief(events: IncidentEvent[]): string[] {
  return events.map((e) => `${e.at} ${e.type} ${e.key} ${e.severity}${e.cause ? ' ' + e.cause : ''}`);
}

function run(script: Script, opts: { config?: DetectorConfig; configured?: boolean; restore?: ActiveIncident[] } = {}): { events: string[]; active: string[] } {
  const det = createDetector({ ...(opts.configured === false ? {} : { streams: [stream({ id: 's1' })] }), ...opts.config });
  if (opts.restore) restoreIncidents(det.ctx, det.state, opts.restore, 0);
  const events: string[] = [];
  let seq = 0;
  const n = Math.max(script.primary.length, script.backup.length);
  for (let i = 1; i <= n; i++) {
    const T = 1000 * i;
    for (const line of ['primary', 'backup'] as const) {
      const cell = script[line][i - 1] ?? '-';
      if (cell === '-') continue;
      events.push(...brief(det.step(sample({ line, seq: ++seq, t: T, ...(cell === 'down' ? DOWN : {}) }), T + 100)));
    }
    events.push(...brief(det.step({ type: 'tick' }, T + 500)));
  }
  const active = det
    .activeIncidents()
    .map((x) => `${x.key} ${x.severity} ${x.scope}`)
    .sort();
  return { events, active };
}

const D = 'down' as const;
const U = 'ok' as const;
const _ = '-' as const;

const restoredP0: ActiveIncident = {
  key: 's1/primary/down',
  kind: 'down',
  stream: 's1',
  line: 'primary',
  severity: 'P0',
  scope: 'stream',
  openedAt: -60_000,
  onset: -60_100,
  regions: [{ region: 'eu', probe: 'p-eu', level: 'down', onset: -60_100, seenAt: -60_000, reasons: [] }],
  firstSeen: { eu: -60_100 },
  related: ['s1/backup/down'],
};

describe('start-up grace: no P0 until every configured line has evidence', () => {
  it.each<{ name: string; script: Script; config?: DetectorConfig; configured?: boolean; restore?: ActiveIncident[]; events: string[]; active: string[] }>([
    {
      name: 'hub start: primary refused, backup still connecting for 2 windows then healthy → P1 only, never P0',
      script: { primary: [D, D, D, D, D], backup: [_, _, U, U, U] },
      events: ['1100 open s1/primary/down P1'],
      active: ['s1/primary/down P1 line'],
    },
    {
      name: 'hub start: primary down, backup reports down in window 2 (within grace) → raised to P0 then',
      script: { primary: [D, D, D, D], backup: [_, D, D, D] },
      events: ['1100 open s1/primary/down P1', '2100 raise s1/primary/down P0 stream-down', '2100 open s1/backup/down P1'],
      active: ['s1/backup/down P1 line', 's1/primary/down P0 stream'],
    },
    {
      name: 'hub start: primary down, backup never reports → P0 when the grace (3 windows) ends, on a tick',
      script: { primary: [D, D, D, D, D], backup: [_, _, _, _, _] },
      events: ['1100 open s1/primary/down P1', '4500 raise s1/primary/down P0 stream-down'],
      active: ['s1/primary/down P0 stream'],
    },
    {
      name: 'backup first seen after the grace, down → P0 at once (it was already P0 by then: no event)',
      script: { primary: [D, D, D, D, D, D], backup: [_, _, _, _, D, D] },
      events: ['1100 open s1/primary/down P1', '4500 raise s1/primary/down P0 stream-down', '5100 open s1/backup/down P1'],
      active: ['s1/backup/down P1 line', 's1/primary/down P0 stream'],
    },
    {
      name: 'backup first seen after the grace, healthy → P0 lowered to P1',
      script: { primary: [D, D, D, D, D, D], backup: [_, _, _, _, U, U] },
      events: ['1100 open s1/primary/down P1', '4500 raise s1/primary/down P0 stream-down', '5100 lower s1/primary/down P1'],
      active: ['s1/primary/down P1 line'],
    },
    {
      name: 'both lines report from the first window, both down → P0 at once (no grace needed)',
      script: { primary: [D, D], backup: [D, D] },
      events: ['1100 open s1/primary/down P1', '1100 raise s1/primary/down P0 stream-down', '1100 open s1/backup/down P1'],
      active: ['s1/backup/down P1 line', 's1/primary/down P0 stream'],
    },
    {
      name: 'startupGraceWindows: 0 → the lines with data decide at once (old behaviour)',
      script: { primary: [D, D, D], backup: [_, U, U] },
      config: { settings: { startupGraceWindows: 0 } },
      events: ['1100 open s1/primary/down P0 stream-down', '2100 lower s1/primary/down P1'],
      active: ['s1/primary/down P1 line'],
    },
    {
      name: 'an unconfigured stream has no unknown lines: its one reporting line down is the stream down',
      script: { primary: [D, D], backup: [_, _] },
      configured: false,
      events: ['1100 open s1/primary/down P0 stream-down'],
      active: ['s1/primary/down P0 stream'],
    },
    {
      name: 'restart with a restored P0: the unknown backup cannot lower it; the backup down keeps it',
      script: { primary: [D, D, D], backup: [_, D, D] },
      restore: [restoredP0],
      events: ['2100 open s1/backup/down P1'],
      active: ['s1/backup/down P1 line', 's1/primary/down P0 stream'],
    },
    {
      name: 'restart with a restored P0, backup comes up healthy → lowered to P1',
      script: { primary: [D, D, D], backup: [_, U, U] },
      restore: [restoredP0],
      events: ['2100 lower s1/primary/down P1'],
      active: ['s1/primary/down P1 line'],
    },
  ])('$name', ({ script, config, configured, restore, events, active }) => {
    const got = run(script, { ...(config && { config }), ...(configured !== undefined && { configured }), ...(restore && { restore }) });
    expect(got.events).toEqual(events);
    expect(got.active).toEqual(active);
  });

  it('the grace is counted in windows of the stream’s first sample (5 s windows → 15 s)', () => {
    const det = createDetector({ streams: [stream({ id: 's1' })] });
    const ev = (xs: IncidentEvent[]) => brief(xs);
    expect(ev(det.step(sample({ line: 'primary', seq: 1, t: 5000, windowMs: 5000, ...DOWN }), 5100))).toEqual(['5100 open s1/primary/down P1']);
    expect(ev(det.step({ type: 'tick' }, 20_099))).toEqual([]);
    expect(ev(det.step({ type: 'tick' }, 20_100))).toEqual(['20100 raise s1/primary/down P0 stream-down']);
  });
});

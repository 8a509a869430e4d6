import { describe, expect, it } from 'vitest';
import { ChangeGate } from '../../src/app/change-gate.ts';
import { formatStatusTable, statusState, type StatusRow } from '../../src/app/format.ts';
import type { Sample } from '../../src/model/sample.ts';

const sample = (line: string, region: string, m: Partial<Sample> = {}): Sample => ({
  probe: `hub-${region}`, region, stream: 'show1', line, seq: 1, t: 0, windowMs: 1000, connected: true, fps: 25, bitrateBps: 1e6, maxGapMs: 40, stallMs: 0, freezeMs: 0, ...m,
});

describe('status table', () => {
  const rows: StatusRow[] = [
    { sample: sample('primary', 'sg'), active: true },
    { sample: sample('backup', 'sg', { connected: false, fps: 0, error: 'refused' }), active: false },
  ];

  it('shows each line up or down, sorted, with the active line marked', () => {
    expect(formatStatusTable(rows, new Date(Date.UTC(2024, 0, 1)))).toBe(
      ['2024-01-01T00:00:00.000Z status (* = active line)', '  show1/backup/sg              DOWN refused', '* show1/primary/sg             up 25fps', ''].join('\n'),
    );
  });

  it('its state ignores the figures that change every window, not up/down or the active line', () => {
    const jittered: StatusRow[] = [{ sample: sample('primary', 'sg', { fps: 24.1, stallMs: 300, freezeMs: 500 }), active: true }, rows[1]!];
    expect(statusState(jittered)).toBe(statusState(rows));
    expect(statusState([{ ...rows[0]!, active: false }, rows[1]!])).not.toBe(statusState(rows));
    expect(statusState([rows[0]!, { sample: sample('backup', 'sg'), active: false }])).not.toBe(statusState(rows));
  });
});

describe('ChangeGate', () => {
  it('passes a changed state at once, the same state only once per heartbeat', () => {
    let now = 0;
    const gate = new ChangeGate(60_000, () => now);
    const passed: number[] = [];
    const states = ['a', 'a', 'b', 'b', 'b', 'b', 'b', 'b', 'b', 'a'];
    for (const [i, state] of states.entries()) {
      now = i * 10_000;
      if (gate.pass(state)) passed.push(now);
    }
    // a at 0; b at 20 s (changed); b again at 80 s (heartbeat); a at 90 s (changed).
    expect(passed).toEqual([0, 20_000, 80_000, 90_000]);
  });
});

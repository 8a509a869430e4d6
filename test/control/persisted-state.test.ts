import { describe, expect, it } from 'vitest';
import { persistedControl, restoredLine } from '../../src/control/persisted-state.ts';
import type { LineControlState } from '../../src/control/types.ts';
import { StoredRecordError } from '../../src/store/stored-record.ts';

const fresh: LineControlState = { active: 'primary', since: 5000, switches: [], failovers: [] };
const kept: LineControlState = {
  active: 'backup',
  since: 1200,
  switches: [1000, 1200],
  failovers: [1000],
  hold: { since: 1200, reason: 'flapping' },
  pin: { value: 'backup', until: 9000, reason: 'encoder swap', by: 'alice', at: 1100 },
  noHealthySince: 1150,
  pinWarned: true,
};

describe('the control state a restart keeps', () => {
  it('keeps the lines, the pin, the hold and the switch times; what follows live health starts afresh', () => {
    const doc = JSON.parse(JSON.stringify(persistedControl(kept, 'backup'))) as unknown;
    expect(restoredLine('s1', doc, ['primary', 'backup'], fresh)).toEqual({
      line: { active: 'backup', since: 1200, switches: [1000, 1200], failovers: [1000], hold: { since: 1200, reason: 'flapping' }, pin: kept.pin },
      served: 'backup',
    });
  });

  it('starts a stream afresh whose kept line left the config, drops a pin of a line that left, and refuses a document that is not one, naming the stream', () => {
    expect(restoredLine('s1', persistedControl(kept, 'backup'), ['primary', 'spare'], fresh)).toBeUndefined();
    const onPrimary = persistedControl({ ...kept, active: 'primary' }, 'primary');
    expect(restoredLine('s1', onPrimary, ['primary', 'spare'], fresh)?.line.pin).toBeUndefined();
    expect(() => restoredLine('s1', { active: 'backup' }, ['primary', 'backup'], fresh)).toThrow(StoredRecordError);
    expect(() => restoredLine('s1', { active: 'backup' }, ['primary', 'backup'], fresh)).toThrow(/control state of stream "s1" .*switches/);
  });
});

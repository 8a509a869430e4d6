import { describe, expect, it } from 'vitest';
import type { ServedStream } from '../../src/actuators/builtin.ts';
import { persistedControl, restoredControl } from '../../src/control/persisted-state.ts';
import type { LineControlState, StreamControlState } from '../../src/control/types.ts';
import { StoredRecordError } from '../../src/store/stored-record.ts';

const fresh: LineControlState = { active: 'primary', since: 5000, switches: [], failovers: [] };
const kept: StreamControlState = {
  line: {
    active: 'backup',
    since: 1200,
    switches: [1000, 1200],
    failovers: [1000],
    hold: { since: 1200, reason: 'flapping' },
    pin: { value: 'backup', until: 9000, reason: 'encoder swap', by: 'alice', at: 1100 },
    noHealthySince: 1150,
    pinWarned: true,
  },
  features: {
    ads: { enabled: false, by: 'operator', since: 1100, pin: { value: false, until: 9000, reason: 'ad server slow', by: 'bob', at: 1100 } },
    dvr: { enabled: false, by: 'policy', since: 1000, triggers: ['s1/primary/down (disconnected)'], clearSince: 1180 },
  },
};
const served: ServedStream = { stream: 's1', active: 'backup', since: 1200, features: { ads: false, dvr: false }, updatedAt: 1200 };

describe('the control state a restart keeps', () => {
  it('keeps the lines served and decided, the pins, the hold, the switch times and the feature states; what follows live health starts afresh', () => {
    const doc = JSON.parse(JSON.stringify(persistedControl(kept, served))) as unknown;
    const { noHealthySince: _n, pinWarned: _p, ...line } = kept.line;
    expect(restoredControl('s1', doc, ['primary', 'backup'], fresh)).toEqual({
      state: { line, features: kept.features },
      served: { line: 'backup', since: 1200, features: { ads: false, dvr: false } },
    });
  });

  it('starts a stream afresh whose kept line left the config, drops a pin of a line that left, and refuses a document that is not one, naming the stream', () => {
    expect(restoredControl('s1', persistedControl(kept, served), ['primary', 'spare'], fresh)).toBeUndefined();
    const onPrimary = persistedControl({ ...kept, line: { ...kept.line, active: 'primary' } }, { ...served, active: 'primary' });
    expect(restoredControl('s1', onPrimary, ['primary', 'spare'], fresh)?.state.line.pin).toBeUndefined();
    expect(() => restoredControl('s1', { active: 'backup' }, ['primary', 'backup'], fresh)).toThrow(StoredRecordError);
    expect(() => restoredControl('s1', { active: 'backup' }, ['primary', 'backup'], fresh)).toThrow(/control state of stream "s1" .*switches/);
  });
});

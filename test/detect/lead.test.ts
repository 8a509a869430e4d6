import { describe, expect, it } from 'vitest';
import { pickLead } from '../../src/detect/lead.ts';

const ORDER = ['primary', 'backup', 'spare'];

describe('the lead incident of a stream (shared by detector and controller)', () => {
  it('the one carrying P0, else the down incident opened first, else config order', () => {
    expect(pickLead([{ line: 'primary', kind: 'down', severity: 'P1', openedAt: 1 }, { line: 'backup', kind: 'down', severity: 'P0', openedAt: 5 }], ORDER)?.line).toBe('backup');
    expect(pickLead([{ line: 'primary', kind: 'down', severity: 'P1', openedAt: 9 }, { line: 'backup', kind: 'down', severity: 'P1', openedAt: 5 }], ORDER)?.line).toBe('backup');
    expect(pickLead([{ line: 'spare', kind: 'down' }, { line: 'backup', kind: 'down' }], ORDER)?.line).toBe('backup');
    expect(pickLead([{ line: 'spare', kind: 'down', openedAt: 3 }, { line: 'primary', kind: 'down', openedAt: 3 }], ORDER)?.line).toBe('primary');
  });

  it('down before degraded; degraded only when no line is down; none → undefined', () => {
    expect(pickLead([{ line: 'primary', kind: 'degraded', openedAt: 1 }, { line: 'backup', kind: 'down', openedAt: 5 }], ORDER)?.line).toBe('backup');
    expect(pickLead([{ line: 'backup', kind: 'degraded', openedAt: 1 }], ORDER)?.line).toBe('backup');
    expect(pickLead([], ORDER)).toBeUndefined();
  });
});

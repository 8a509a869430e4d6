import { describe, expect, it } from 'vitest';
import { actingStream } from '../../src/cluster/incident-stream.ts';

describe('the stream whose owner acts on an incident', () => {
  it("a line's incident, by id or key: its stream", () => {
    expect(actingStream('show1/primary/down@1700000000000')).toBe('show1');
    expect(actingStream('show1/backup/degraded')).toBe('show1');
  });

  it("a probe's own incident: the pseudo-stream of the probe", () => {
    expect(actingStream('probe/p-eu/blind@1700000000000')).toBe('probe:p-eu');
    expect(actingStream('probe/p-eu/impaired')).toBe('probe:p-eu');
  });

  it('a stream called "probe" keeps its incidents', () => {
    expect(actingStream('probe/main/down@1700000000000')).toBe('probe');
  });
});

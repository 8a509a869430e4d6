import { describe, expect, it } from 'vitest';
import { createDetector } from '../../src/detect/detector.ts';
import { brief, DOWN, sample, stream } from './helpers.ts';

/**
 * The hub's own stall (GC pause, VM steal, SIGSTOP): the hub tells the detector it was frozen for
 * `pausedMs` ({ type: 'resume' }) before the tick that follows. The time it heard nothing because it
 * was frozen must not count as the probes' silence, nor against a stream's start-up grace.
 */

describe('resume after the hub was frozen', () => {
  it('excuses the frozen time from every probe\'s silence; a probe that really stays silent is still caught', () => {
    const det = createDetector({ streams: [stream({ id: 's1' })] });
    det.step(sample({ probe: 'p-eu', seq: 1, t: 1000 }), 1000);
    det.step(sample({ probe: 'p-us', region: 'us', seq: 1, t: 1000 }), 1000);
    // frozen from about 1000 to 4500: its 1 s tick fires 2.5 s late
    expect(det.step({ type: 'resume', pausedMs: 2500 }, 4500)).toEqual([]);
    expect(det.step({ type: 'tick' }, 4500)).toEqual([]);
    // the samples that waited in the socket arrive: p-us was fine all along
    det.step(sample({ probe: 'p-us', region: 'us', seq: 2, t: 2000 }), 4510);
    det.step(sample({ probe: 'p-us', region: 'us', seq: 3, t: 3000 }), 4510);
    det.step(sample({ probe: 'p-us', region: 'us', seq: 4, t: 4000 }), 4510);
    // p-eu stays silent: 3 s after the excused time (last heard 1000 + 2500)
    expect(det.step({ type: 'tick' }, 6500)).toEqual([]);
    expect(brief(det.step({ type: 'tick' }, 6501))).toEqual(['6501 open probe/p-eu/blind P2']);
  });

  it('without it the same freeze makes every probe blind', () => {
    const det = createDetector({ streams: [stream({ id: 's1' })] });
    det.step(sample({ probe: 'p-eu', seq: 1, t: 1000 }), 1000);
    det.step(sample({ probe: 'p-us', region: 'us', seq: 1, t: 1000 }), 1000);
    expect(brief(det.step({ type: 'tick' }, 4500))).toEqual(['4500 open probe/p-eu/blind P2', '4500 open probe/p-us/blind P2']);
  });

  it('never moves a probe\'s last-heard time past now', () => {
    const det = createDetector({ streams: [stream({ id: 's1' })] });
    det.step(sample({ seq: 1, t: 1000 }), 1000);
    det.step({ type: 'resume', pausedMs: 60_000 }, 2000);
    expect(det.state.probes.get('p-eu')!.lastSeenAt).toBe(2000);
    expect(brief(det.step({ type: 'tick' }, 5001))).toEqual(['5001 open probe/p-eu/blind P2']);
  });

  it('a blind probe stays blind; nothing else changes', () => {
    const det = createDetector({ streams: [stream({ id: 's1' })] });
    det.step(sample({ seq: 1, t: 1000 }), 1000);
    expect(brief(det.step({ type: 'tick' }, 4001))).toEqual(['4001 open probe/p-eu/blind P2']);
    expect(det.step({ type: 'resume', pausedMs: 2000 }, 6000)).toEqual([]);
    expect(det.step({ type: 'tick' }, 6000)).toEqual([]);
    expect(det.state.probes.get('p-eu')!.blind).toBe('silent');
  });

  it('extends a stream\'s start-up grace by the frozen time', () => {
    const grade = (pausedMs: number) => {
      const det = createDetector({ streams: [stream({ id: 's1' })] });
      const out: string[] = [];
      // only the primary reports (down); the backup has not reported yet: grace 3 windows from 1000
      for (let i = 1; i <= 7; i++) {
        out.push(...brief(det.step(sample({ seq: i, t: 1000 * i, ...DOWN }), 1000 * i)));
        if (i === 2 && pausedMs > 0) det.step({ type: 'resume', pausedMs }, 2500);
        out.push(...brief(det.step({ type: 'tick' }, 1000 * i + 500)));
      }
      return out.filter((e) => e.includes('P0'));
    };
    expect(grade(0)).toEqual(['4500 raise s1/primary/down P0 stream-down']);
    expect(grade(2000)).toEqual(['6500 raise s1/primary/down P0 stream-down']);
  });
});

import type { StreamConfig } from '../../src/model/stream.ts';
import type { Sample } from '../../src/model/sample.ts';

/** A healthy 1 s window; override what the case needs. */
export function sample(over: Partial<Sample> = {}): Sample {
  return {
    probe: 'p-eu',
    region: 'eu',
    stream: 's1',
    line: 'primary',
    seq: 1,
    t: 1000,
    windowMs: 1000,
    connected: true,
    fps: 30,
    bitrateBps: 2_000_000,
    width: 1920,
    height: 1080,
    maxGapMs: 40,
    stallMs: 0,
    freezeMs: 0,
    ...over,
  };
}

/** n consecutive windows: t = t0 + 1000·(i+1), seq = seq0 + i + 1, with per-window overrides. */
export function windows(n: number, at: (i: number) => Partial<Sample>, t0 = 0, seq0 = 0): Sample[] {
  return Array.from({ length: n }, (_, i) => sample({ t: t0 + 1000 * (i + 1), seq: seq0 + i + 1, ...at(i) }));
}

export function stream(over: Partial<StreamConfig> & { id: string }): StreamConfig {
  return {
    kind: 'show-live',
    lines: { primary: { url: 'rtmp://127.0.0.1/live/a' }, backup: { url: 'http://127.0.0.1:8000/live/a.flv' } },
    ...over,
  };
}

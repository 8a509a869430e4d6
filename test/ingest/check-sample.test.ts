import { describe, expect, it } from 'vitest';
import { checkSample } from '../../src/ingest/check-sample.ts';
import { SampleSchema } from '../../src/model/sample.ts';

const good = { probe: 'p1', region: 'r1', stream: 's1', line: 'primary', seq: 3, t: 1000, windowMs: 1000, connected: true, fps: 25, bitrateBps: 1e6, maxGapMs: 40, stallMs: 0, freezeMs: 0 };

// Each case differs from `good` in one way; the hand-written check must agree with the schema.
const cases: Record<string, unknown> = {
  good,
  'all optional fields': { ...good, startupMs: 800, latencyMs: 3, width: 1280, height: 720, avSkewMs: -5, avSyncMs: 12, error: 'eof' },
  'content checks': { ...good, blackMs: 400, silenceMs: 0, loudnessLufs: -23, truePeakDbtp: -1.5 },
  'black longer than the window': { ...good, blackMs: 5000 },
  'negative silenceMs': { ...good, silenceMs: -1 },
  'loudness below -200 dB': { ...good, loudnessLufs: -201 },
  'string truePeakDbtp': { ...good, truePeakDbtp: '-1' },
  'unknown key': { ...good, extra: 'x' },
  'null': null,
  'array': [good],
  'string': 'sample',
  'empty probe': { ...good, probe: '' },
  'numeric region': { ...good, region: 5 },
  'missing stream': { ...good, stream: undefined },
  'negative seq': { ...good, seq: -1 },
  'fractional seq': { ...good, seq: 1.5 },
  'unsafe seq': { ...good, seq: 2 ** 60 },
  'fractional t': { ...good, t: 1.5 },
  'zero windowMs': { ...good, windowMs: 0 },
  'string connected': { ...good, connected: 'yes' },
  'negative fps': { ...good, fps: -1 },
  'string bitrate': { ...good, bitrateBps: '1e6' },
  'null maxGapMs': { ...good, maxGapMs: null },
  'negative startupMs': { ...good, startupMs: -1 },
  'zero width': { ...good, width: 0 },
  'fractional height': { ...good, height: 719.5 },
  'string latencyMs': { ...good, latencyMs: '5' },
  'free-text error': { ...good, error: 'it broke' },
  'null avSyncMs': { ...good, avSyncMs: null },
  'negative latencyMs': { ...good, latencyMs: -99_999 },
  'latency over an hour': { ...good, latencyMs: 3_600_001 },
  'fps 1e308': { ...good, fps: 1e308 },
  'bitrate over 10 Gbps': { ...good, bitrateBps: 1.1e10 },
  't past the last Date': { ...good, t: 8.64e15 + 1 },
  'windowMs over a minute': { ...good, windowMs: 60_001 },
  'width over 16384': { ...good, width: 16_385 },
  'a gap over an hour': { ...good, maxGapMs: 3_600_001 },
  'stallMs over two windows': { ...good, stallMs: 2001 },
  'freezeMs over two windows': { ...good, freezeMs: 2001 },
  'avSkewMs under an hour back': { ...good, avSkewMs: -3_600_001 },
  'content-check fields': { ...good, blackMs: 1000, silenceMs: 250, loudnessLufs: -9.5, truePeakDbtp: -0.3 },
  'negative blackMs': { ...good, blackMs: -1 },
  'silenceMs over two windows': { ...good, silenceMs: 2001 },
  'string loudnessLufs': { ...good, loudnessLufs: '-14' },
  'loudness below the meter': { ...good, loudnessLufs: -201 },
  'true peak far above full scale': { ...good, truePeakDbtp: 31 },
};

describe('checkSample', () => {
  for (const [name, input] of Object.entries(cases)) {
    it(`agrees with SampleSchema: ${name}`, () => {
      const zod = SampleSchema.safeParse(input);
      const mine = checkSample(input);
      expect(mine.error === undefined).toBe(zod.success);
      if (zod.success) expect(mine.sample).toEqual(zod.data);
      else expect(mine.error).toMatch(new RegExp(`^invalid sample: ${zod.error.issues.map((i) => `${i.path.map(String).join('.') || '\\(sample\\)'}: .+`).join('; ')}$`));
    });
  }

  it('tells a malformed sample from one out of physical range', () => {
    expect(checkSample({ ...good, fps: 'x' }).reason).toBe('malformed');
    expect(checkSample({ ...good, fps: 1e308 }).reason).toBe('out_of_range');
    expect(checkSample({ ...good, fps: 1e308, connected: 1 }).reason).toBe('malformed');
    expect(checkSample({ ...good, fps: -1, width: 20_000 })).toEqual({ reason: 'out_of_range', error: 'invalid sample: fps: expected a number >= 0; width: expected a number <= 16384' });
  });

  it('names every bad field with its reason', () => {
    expect(checkSample({ ...good, windowMs: 0, connected: 1 }).error).toBe('invalid sample: windowMs: expected a number > 0; connected: expected boolean, received number');
  });
});

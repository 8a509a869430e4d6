import { describe, expect, it } from 'vitest';
import { checkSample } from '../../src/ingest/check-sample.ts';
import { SampleSchema } from '../../src/model/sample.ts';

const good = { probe: 'p1', region: 'r1', stream: 's1', line: 'primary', seq: 3, t: 1000, windowMs: 1000, connected: true, fps: 25, bitrateBps: 1e6, maxGapMs: 40, stallMs: 0, freezeMs: 0 };

// Each case differs from `good` in one way; the hand-written check must agree with the schema.
const cases: Record<string, unknown> = {
  good,
  'all optional fields': { ...good, startupMs: 800, latencyMs: -3, width: 1280, height: 720, avSkewMs: -5, avSyncMs: 12, error: 'eof' },
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

  it('names every bad field with its reason', () => {
    expect(checkSample({ ...good, windowMs: 0, connected: 1 }).error).toBe('invalid sample: windowMs: expected a number > 0; connected: expected boolean, received number');
  });
});

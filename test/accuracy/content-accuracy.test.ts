/**
 * Content checks against the lab's ground truth, per protocol and per cost mode: black and
 * silence durations summed over the windows against the truth log, loudness and true peak
 * against the publisher's tone (measured with ebur128 in test/lab/content-faults.test.ts), and
 * no false alarm on a dark but live picture or on the quiet (−40 dBFS) tone.
 *
 * One lab, every probe at once, the faults one after another: black 3 s, silence 3 s, loud 6 s.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeUrl, type ProbeHandle } from '../../probes/index.ts';
import { startLab, type Lab, type PlayProtocol } from '../../src/lab/index.ts';
import { TONE } from '../../src/lab/publisher-args.ts';
import type { TruthRecord } from '../../src/lab/truth-log.ts';
import type { Sample } from '../../src/model/sample.ts';
import type { ContentMode } from '../../src/model/stream.ts';
import { SampleLog } from '../probes/helpers/collect.ts';

/** The lab's keyframe interval: a light probe sees the picture once per keyframe. */
const KEYFRAME_MS = 1000;
const TOLERANCE_MS = 300;
/** A light probe places each edge of a black interval up to one keyframe interval late. */
const BLACK_TOLERANCE_MS: Record<Exclude<ContentMode, 'off'>, number> = { full: TOLERANCE_MS, light: KEYFRAME_MS + TOLERANCE_MS };
const LEVEL_TOLERANCE = 1;

interface Probe {
  name: string;
  mode: Exclude<ContentMode, 'off'>;
  log: SampleLog;
}

let lab: Lab;
const handles: ProbeHandle[] = [];

beforeAll(async () => {
  lab = await startLab({ streams: [{ id: 'ca', protocols: ['rtmp', 'hls'], scenes: { backup: 'dark' } }] });
}, 30_000);
afterAll(async () => {
  await Promise.all(handles.map((h) => h.stop()));
  await lab?.stop();
});

function probe(line: 'primary' | 'backup', protocol: PlayProtocol, mode: Exclude<ContentMode, 'off'>): Probe {
  const log = new SampleLog();
  handles.push(probeUrl(lab.url('ca', line, protocol), { probe: 'acc', region: 'lab', stream: 'ca', line, decode: { content: mode }, onSample: log.onSample }));
  return { name: `${protocol} ${mode}${line === 'backup' ? ' (dark)' : ''}`, mode, log };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const total = (samples: Sample[], key: 'blackMs' | 'silenceMs') => samples.reduce((n, s) => n + (s[key] ?? 0), 0);
const lasted = (r: TruthRecord) => (r.endedAt ?? Date.now()) - r.startedAt;
const ready = (s: Sample) => s.connected && s.loudnessLufs !== undefined;

describe('content checks against lab ground truth (RTMP, HTTP-FLV, HLS × full, light)', () => {
  it('black and silence durations, loudness and true peak; nothing on a dark picture or a quiet tone', async () => {
    const probes = (['rtmp', 'http-flv', 'hls'] as const).flatMap((protocol) => [probe('primary', protocol, 'full'), probe('primary', protocol, 'light')]);
    const dark = [probe('backup', 'http-flv', 'full'), probe('backup', 'http-flv', 'light')];
    const all = [...probes, ...dark];
    await Promise.all(all.map((p) => p.log.until(ready, 20_000)));
    const baselineFrom = performance.now();
    await sleep(2000);

    const fault = (kind: 'black' | 'silence' | 'loud', durationMs: number) => lab.applyFault({ stream: 'ca', line: 'primary', kind, durationMs });
    await fault('black', 3000);
    await sleep(4000);
    await fault('silence', 3000);
    await sleep(4000);
    const loudFrom = performance.now();
    await fault('loud', 6000);
    await sleep(6000);
    const loudUntil = performance.now();
    // Every probe has seen the end of the last fault (HLS lags by its segments) and a quiet window after it.
    await Promise.all(probes.map((p) => p.log.until((s) => (s.loudnessLufs ?? 0) < TONE.shortTermLufs + LEVEL_TOLERANCE, 20_000, loudUntil)));

    const truth = lab.truth();
    const black = lasted(truth.find((r) => r.kind === 'black')!);
    const silence = lasted(truth.find((r) => r.kind === 'silence')!);
    const report: string[] = [`truth: black ${black} ms, silence ${silence} ms, tone ${TONE.shortTermLufs} LUFS / ${TONE.truePeakDbtp} dBTP, loud +${TONE.loudGainDb} dB`];
    for (const { name, mode, log } of probes) {
      const samples = log.samples.filter((s) => s.receivedAt >= baselineFrom);
      const baseline = samples.filter((s) => s.receivedAt < baselineFrom + 2000);
      const loud = samples.filter((s) => s.receivedAt >= loudFrom);
      const loudest = Math.max(...loud.map((s) => s.loudnessLufs ?? -Infinity));
      const peak = Math.max(...loud.map((s) => s.truePeakDbtp ?? -Infinity));
      const measured = { black: total(samples, 'blackMs'), silence: total(samples, 'silenceMs') };
      report.push(`${name}: black ${measured.black} ms, silence ${measured.silence} ms, quiet ${baseline.map((s) => s.loudnessLufs).join('/')} LUFS, loud ${loudest} LUFS, peak ${peak} dBTP`);
      expect.soft(samples.every((s) => s.connected && s.blackMs !== undefined && s.silenceMs !== undefined), `${name}: every window carries blackMs and silenceMs`).toBe(true);
      expect.soft(Math.abs(measured.black - black), `${name}: black ${measured.black} vs ${black}`).toBeLessThanOrEqual(BLACK_TOLERANCE_MS[mode]);
      expect.soft(Math.abs(measured.silence - silence), `${name}: silence ${measured.silence} vs ${silence}`).toBeLessThanOrEqual(TOLERANCE_MS);
      for (const s of baseline) expect.soft(Math.abs(s.loudnessLufs! - TONE.shortTermLufs), `${name}: quiet ${s.loudnessLufs}`).toBeLessThanOrEqual(LEVEL_TOLERANCE);
      // Short-term loudness integrates 3 s: the 6 s loud fault has windows that are loud all through.
      expect.soft(Math.abs(loudest - (TONE.shortTermLufs + TONE.loudGainDb)), `${name}: loud ${loudest}`).toBeLessThanOrEqual(LEVEL_TOLERANCE);
      expect.soft(Math.abs(peak - (TONE.truePeakDbtp + TONE.loudGainDb)), `${name}: peak ${peak}`).toBeLessThanOrEqual(LEVEL_TOLERANCE);
    }
    for (const { name, log } of dark) {
      const samples = log.samples.filter((s) => s.receivedAt >= baselineFrom);
      report.push(`${name}: black ${total(samples, 'blackMs')} ms over ${samples.length} windows, freeze ${samples.reduce((n, s) => n + s.freezeMs, 0)} ms`);
      expect.soft(samples.length).toBeGreaterThanOrEqual(15);
      expect.soft(total(samples, 'blackMs'), `${name}: a dark but live picture is not black`).toBe(0);
      expect.soft(total(samples, 'silenceMs'), `${name}: a −40 dBFS tone is not silence`).toBe(0);
    }
    // The figures, also when a soft expectation failed: what each probe measured against the truth.
    console.info(report.join('\n'));
  }, 90_000);
});

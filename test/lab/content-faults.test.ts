/**
 * The lab's content faults on a real publisher: black, silence and loud change the running
 * publisher (no reconnect for a probe to measure instead), lowres and lowbitrate republish, and
 * the levels the accuracy tests rely on are what ebur128 measures on the stream.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ffmpegPath, ffprobePath } from '../../src/common/binaries.ts';
import { startLab, type Lab } from '../../src/lab/index.ts';
import { TONE } from '../../src/lab/publisher-args.ts';
import { until } from '../helpers/until.ts';

const run = promisify(execFile);
let lab: Lab;

beforeAll(async () => {
  lab = await startLab({ streams: [{ id: 'cf', protocols: ['rtmp'] }] });
}, 30_000);
afterAll(async () => {
  await lab?.stop();
});

const url = () => lab.url('cf', 'primary', 'http-flv');
const pid = () => lab.describe().streams[0]?.lines.primary.pid;

/** ebur128's short-term loudness (LUFS) after `seconds` (> 3) of the live stream, and its true peak (dBTP). */
async function measureLevels(seconds: number): Promise<{ lufs: number; peak: number }> {
  const af = 'ebur128=metadata=1:peak=true,ametadata=mode=print:key=lavfi.r128.S';
  const { stderr } = await run(ffmpegPath, ['-hide_banner', '-nostats', '-t', String(seconds), '-i', url(), '-vn', '-af', af, '-f', 'null', '-'], { timeout: 20_000 });
  const shortTerm = [...stderr.matchAll(/lavfi\.r128\.S=(-?[\d.]+)/g)].at(-1)?.[1];
  return { lufs: Number(shortTerm), peak: Number(/Peak:\s+(-?[\d.]+) dBFS/.exec(stderr.slice(stderr.lastIndexOf('Summary:')))?.[1]) };
}

/** Video kbit/s and picture size from a packet dump of `seconds` of the live stream. */
async function videoDump(seconds: number): Promise<{ kbps: number; size: string }> {
  const { stdout } = await run(
    ffprobePath,
    ['-v', 'error', '-read_intervals', `%+${seconds}`, '-select_streams', 'v', '-show_entries', 'packet=pts_time,size:stream=width,height', '-of', 'compact', url()],
    { timeout: 20_000 },
  );
  const packets = [...stdout.matchAll(/packet\|pts_time=([\d.]+)\|size=(\d+)/g)].map((m) => ({ t: Number(m[1]), size: Number(m[2]) }));
  const span = (packets.at(-1)?.t ?? 0) - (packets[0]?.t ?? 0);
  const bytes = packets.slice(1).reduce((n, p) => n + p.size, 0); // n packets span n − 1 intervals
  const size = /stream\|width=(\d+)\|height=(\d+)/.exec(stdout);
  return { kbps: (bytes * 8) / span / 1000, size: `${size?.[1]}x${size?.[2]}` };
}

describe('lab content faults', () => {
  it('the tone is what the accuracy tests assume, and loud adds 20 dB without restarting the publisher', async () => {
    const quiet = await measureLevels(5);
    expect(Math.abs(quiet.lufs - TONE.shortTermLufs), `tone ${quiet.lufs} LUFS`).toBeLessThanOrEqual(0.3);
    expect(Math.abs(quiet.peak - TONE.truePeakDbtp), `tone peak ${quiet.peak} dBTP`).toBeLessThanOrEqual(0.3);
    const before = pid();
    const loud = await lab.applyFault({ stream: 'cf', line: 'primary', kind: 'loud', durationMs: 8000 });
    expect(loud.params).toEqual({ gainDb: 20, durationMs: 8000 });
    const louder = await measureLevels(6);
    expect(Math.abs(louder.lufs - (TONE.shortTermLufs + TONE.loudGainDb)), `loud ${louder.lufs} LUFS`).toBeLessThanOrEqual(0.5);
    expect(pid()).toBe(before);
    await until('loud to end by itself', () => lab.truth().find((r) => r.id === loud.id)?.endedAt !== undefined, 8000);
  }, 40_000);

  it('black and silence are runtime changes lasting their durations in stream time, in the truth log', async () => {
    const before = pid();
    const [black, silence] = await Promise.all([
      lab.applyFault({ stream: 'cf', line: 'primary', kind: 'black', durationMs: 1000 }),
      lab.applyFault({ stream: 'cf', line: 'primary', kind: 'silence', durationMs: 1500 }),
    ]);
    expect(lab.describe().streams[0]?.lines.primary.content).toEqual({ black: true, muted: true, loud: false });
    await until('both to end', () => lab.describe().activeFaults.length === 0, 5000);
    for (const [record, ms] of [[black, 1000], [silence, 1500]] as const) {
      const done = lab.truth().find((r) => r.id === record.id)!;
      // Both edges are scheduled in stream time: the fault lasts its duration exactly.
      expect(Math.abs(done.endedAt! - done.startedAt - ms)).toBeLessThanOrEqual(5);
    }
    expect(pid()).toBe(before);
    expect(lab.describe().streams[0]?.lines.primary.content).toEqual({ black: false, muted: false, loud: false });
  }, 20_000);

  it('lowbitrate caps the video near its rate and lowres republishes at 320x180 (packet dumps)', async () => {
    const normal = await videoDump(3);
    expect(normal.kbps, 'the lab picture must be complex enough that a cap is real').toBeGreaterThan(600);
    expect(normal.size).toBe('640x360');
    const before = pid();
    const low = await lab.applyFault({ stream: 'cf', line: 'primary', kind: 'lowbitrate', kbps: 150 });
    expect(low.note).toMatch(/restarted/);
    expect(pid()).not.toBe(before);
    const capped = await videoDump(4);
    expect(Math.abs(capped.kbps - 150), `${capped.kbps.toFixed(0)} kbit/s`).toBeLessThanOrEqual(50);
    await lab.applyFault({ stream: 'cf', line: 'primary', kind: 'lowres', durationMs: 8000 });
    expect((await videoDump(2)).size).toBe('320x180');
    await lab.clearFaults();
    expect(lab.describe().streams[0]?.lines.primary.encoding).toEqual({ fps: 25, width: 640, height: 360 });
    expect(lab.truth().filter((r) => r.kind === 'lowres' || r.kind === 'lowbitrate').every((r) => r.endedAt !== undefined)).toBe(true);
  }, 60_000);
});

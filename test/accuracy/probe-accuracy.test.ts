/**
 * Probe accuracy against the lab's ground truth: real publishers, real servers,
 * real ffprobe/ffmpeg readers. Every fault is injected through the lab, which records when it
 * actually took effect; the probe's Samples must agree with that record.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { probeUrl, type ProbeHandle } from '../../probes/index.ts';
import { startLab, type Lab, type PlayProtocol } from '../../src/lab/index.ts';
import type { Sample } from '../../src/model/sample.ts';
import { SampleLog } from '../probes/helpers/collect.ts';

type Received = Sample & { receivedAt: number };

let lab: Lab;
const handles: ProbeHandle[] = [];

beforeAll(async () => {
  lab = await startLab({ streams: [{ id: 'acc', protocols: ['rtmp', 'hls'] }] });
}, 30_000);
afterEach(async () => {
  await Promise.all(handles.splice(0).map((h) => h.stop()));
  await lab.clearFaults();
});
afterAll(async () => {
  await lab?.stop();
});

function probe(line: 'primary' | 'backup', protocol: PlayProtocol, decode: boolean): SampleLog {
  const log = new SampleLog();
  handles.push(probeUrl(lab.url('acc', line, protocol), { probe: 'acc', region: 'lab', stream: 'acc', line, decode, onSample: log.onSample }));
  return log;
}

/** Samples received after `fromPerf` (performance.now()) for `ms`. */
async function collect(log: SampleLog, ms: number): Promise<Received[]> {
  const from = performance.now();
  await new Promise((r) => setTimeout(r, ms));
  return log.samples.filter((s) => s.receivedAt >= from);
}

const sum = (samples: Sample[], key: 'stallMs' | 'freezeMs') => samples.reduce((n, s) => n + s[key], 0);

describe('probe accuracy against lab ground truth', () => {
  it('healthy 25 fps stream over 30 s: fps 25 ± 1, no stall, no freeze, markers in sync', async () => {
    const decoded = probe('primary', 'http-flv', true);
    const packets = probe('primary', 'rtmp', false);
    await decoded.until((s) => s.connected && s.avSyncMs !== undefined, 10_000);
    await packets.until((s) => s.connected, 10_000);
    await new Promise((r) => setTimeout(r, 1500)); // past the startup burst
    const [a, b] = await Promise.all([collect(decoded, 30_000), collect(packets, 0)]);
    const rtmp = packets.samples.filter((s) => s.receivedAt >= (a[0]?.receivedAt ?? 0) - 1000);
    for (const samples of [a, rtmp]) {
      expect(samples.length).toBeGreaterThanOrEqual(29);
      for (const s of samples) {
        expect(s.connected).toBe(true);
        expect(Math.abs(s.fps - 25)).toBeLessThanOrEqual(1);
        expect(s.stallMs).toBe(0);
        expect(s.freezeMs).toBe(0);
        expect(s.width).toBe(640);
        expect(s.height).toBe(360);
      }
    }
    for (const s of a.filter((x) => x.avSyncMs !== undefined)) expect(Math.abs(s.avSyncMs!)).toBeLessThanOrEqual(20);
    expect(b).toEqual([]);
  }, 60_000);

  it('publisher killed → a connected:false Sample within 1.5 s (RTMP and HTTP-FLV)', async () => {
    const logs = [probe('backup', 'rtmp', false), probe('backup', 'http-flv', false)];
    await Promise.all(logs.map((l) => l.until((s) => s.connected && s.fps > 20, 10_000)));
    const killed = await lab.applyFault({ stream: 'acc', line: 'backup', kind: 'kill' });
    const killedPerf = performance.now() - (Date.now() - killed.startedAt);
    for (const log of logs) {
      const down = await log.until((s) => !s.connected, 3000);
      expect(down.receivedAt - killedPerf).toBeLessThanOrEqual(1500);
    }
  }, 30_000);

  it('3 s pause: stallMs totals 3000 ± 300 and maxGapMs ≥ 2500', async () => {
    const log = probe('primary', 'http-flv', false);
    await log.until((s) => s.connected && s.fps > 20, 10_000);
    await new Promise((r) => setTimeout(r, 1000));
    const before = performance.now();
    const pause = await lab.applyFault({ stream: 'acc', line: 'primary', kind: 'pause', ms: 3000 });
    expect(pause.kind).toBe('pause');
    await new Promise((r) => setTimeout(r, 3000));
    await log.until((s) => s.connected && s.stallMs === 0 && s.fps > 20, 10_000, before);
    const around = log.samples.filter((s) => s.receivedAt >= before);
    const trace = around.map((s) => `${Math.round(s.receivedAt - before)}:${s.connected ? 'up' : 'down'}/${s.stallMs}/${s.maxGapMs}`).join(' ');
    expect(Math.abs(sum(around, 'stallMs') - 3000), trace).toBeLessThanOrEqual(300);
    expect(Math.max(...around.map((s) => s.maxGapMs))).toBeGreaterThanOrEqual(2500);
  }, 30_000);

  it('2 s freeze: freezeMs totals 2000 ± 200 while fps stays nominal', async () => {
    const log = probe('primary', 'http-flv', true);
    await log.until((s) => s.connected && s.avSyncMs !== undefined, 10_000);
    await new Promise((r) => setTimeout(r, 1000));
    const before = performance.now();
    await lab.applyFault({ stream: 'acc', line: 'primary', kind: 'freeze', ms: 2000 });
    await new Promise((r) => setTimeout(r, 4500));
    const around = log.samples.filter((s) => s.receivedAt >= before);
    expect(Math.abs(sum(around, 'freezeMs') - 2000)).toBeLessThanOrEqual(200);
    for (const s of around) expect(Math.abs(s.fps - 25)).toBeLessThanOrEqual(1);
  }, 30_000);

  it.each([
    { shift: -300, what: 'audio 300 ms late' },
    { shift: 200, what: 'audio 200 ms early' },
  ])('$what → avSyncMs $shift ± 20 from the decoded markers (BT.1359: + audio leads)', async ({ shift }) => {
    const log = probe('primary', 'http-flv', true);
    await log.until((s) => s.connected && s.avSyncMs !== undefined, 10_000);
    await lab.applyFault({ stream: 'acc', line: 'primary', kind: 'avShift', ms: shift });
    const settled = await log.until((s) => s.avSyncMs !== undefined && Math.abs(s.avSyncMs - shift) < 100, 5000, performance.now());
    const after = (await collect(log, 4000)).filter((s) => s.receivedAt > settled.receivedAt && s.avSyncMs !== undefined);
    expect(after.length).toBeGreaterThanOrEqual(3);
    for (const s of after) expect(Math.abs(s.avSyncMs! - shift)).toBeLessThanOrEqual(20);
    // The container clock cannot see it: the muxer stamps both tracks on one clock.
    for (const s of after) expect(Math.abs(s.avSkewMs ?? 0)).toBeLessThan(100);
  }, 30_000);

  it('HLS live latency within ± 500 ms of the lab truth, also with 2 s of added delay', async () => {
    const log = probe('primary', 'hls', false);
    await log.until((s) => s.connected && s.latencyMs !== undefined, 10_000);
    // Truth is a sawtooth that drops by a whole segment the instant one is published; a poller
    // learns of it within about two poll intervals (2 × 100 ms), so near that instant the
    // comparison is against the truth of any moment in the last 300 ms, aged to the Sample.
    const truths: { at: number; ms: number }[] = [];
    const timer = setInterval(() => {
      const ms = lab.hlsLatencyTruthMs('acc', 'primary');
      if (ms !== undefined) truths.push({ at: performance.now(), ms });
    }, 20);
    const check = (samples: Received[]) => {
      expect(samples.length).toBeGreaterThanOrEqual(4);
      for (const s of samples) {
        const candidates = truths.filter((t) => t.at <= s.receivedAt && t.at >= s.receivedAt - 300).map((t) => t.ms + (s.receivedAt - t.at));
        const best = Math.min(...candidates.map((c) => Math.abs(c - s.latencyMs!)));
        expect(best, `latency ${s.latencyMs} vs truth ${candidates.map(Math.round).join(',')}`).toBeLessThanOrEqual(500);
      }
    };
    try {
      check((await collect(log, 5000)).filter((s) => s.latencyMs !== undefined));
      // 2 s: a longer hold trips the stale-playlist rule (3 × TARGETDURATION) and the line goes down.
      await lab.applyFault({ stream: 'acc', line: 'primary', kind: 'hlsDelay', ms: 2000 });
      await log.until((s) => (s.latencyMs ?? 0) > 2000, 6000, performance.now());
      const delayed = (await collect(log, 5000)).filter((s) => s.latencyMs !== undefined);
      check(delayed);
      for (const s of delayed) expect(s.latencyMs).toBeGreaterThan(2000);
    } finally {
      clearInterval(timer);
    }
  }, 40_000);
});

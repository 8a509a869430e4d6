/**
 * The content decoder's ffmpeg edge against the real ffmpeg 4.1: the filter graphs of `full` and
 * `light` are accepted and what they print adds up. A file with known content (black 2–4 s,
 * silence 3–5 s, a −40 dBFS tone otherwise, keyframes every second) is read as fast as it
 * decodes, so no server and no real time are needed.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DecodedEvent } from '../../probes/decode/analyzer.ts';
import { decoderOptions, startDecoder } from '../../probes/decode/decoder.ts';
import { ffmpegPath } from '../../src/common/binaries.ts';
import { liveChildPids } from '../../src/common/children.ts';

const run = promisify(execFile);
let dir: string;
let file: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'content-edge-'));
  file = path.join(dir, 'content.flv');
  const graph =
    "testsrc2=size=320x180:rate=25,format=yuv420p[src];color=black:size=320x180:rate=25[blk];[src][blk]overlay=enable='gte(t,2)*lt(t,4)'[v];" +
    "aevalsrc=exprs='0.01*sin(2*PI*440*t)':c=mono:s=48000,volume=volume=0:enable='gte(t,3)*lt(t,5)'[a]";
  await run(ffmpegPath, ['-hide_banner', '-loglevel', 'error', '-filter_complex', graph, '-map', '[v]', '-map', '[a]', '-t', '8', '-c:v', 'libx264', '-preset', 'veryfast', '-g', '25', '-keyint_min', '25', '-sc_threshold', '0', '-c:a', 'aac', '-f', 'flv', file]);
}, 30_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  expect(liveChildPids()).toEqual([]);
});

/** Runs the decoder over the whole file and sums what it reported. */
async function decode(content: 'full' | 'light') {
  const events: DecodedEvent[] = [];
  await new Promise<void>((resolve) => startDecoder([], file, decoderOptions({ content })!, (e) => events.push(e), () => resolve()));
  const sum = (type: 'black' | 'silence') => events.reduce((n, e) => n + (e.type === type ? e.ms : 0), 0);
  const levels = (type: 'loudness' | 'truePeak') => events.flatMap((e) => (e.type === 'loudness' && type === 'loudness' ? [e.lufs] : e.type === 'truePeak' && type === 'truePeak' ? [e.dbtp] : []));
  return { black: sum('black'), silence: sum('silence'), loudness: levels('loudness'), peaks: levels('truePeak'), sync: events.filter((e) => e.type === 'sync' || e.type === 'freeze') };
}

describe('content decoder on ffmpeg 4.1', () => {
  it.each(['full', 'light'] as const)('%s: 2 s black and 2 s silence, the tone level and its peak', async (content) => {
    const r = await decode(content);
    // Black on keyframes in light: the file's black starts and ends on a keyframe, so both agree.
    expect(Math.abs(r.black - 2000)).toBeLessThanOrEqual(content === 'full' ? 80 : 0);
    expect(Math.abs(r.silence - 2000)).toBeLessThanOrEqual(content === 'full' ? 50 : 150);
    // A 440 Hz sine at −40 dBFS peak: ebur128 reads −43.7 LUFS on the uncompressed tone.
    expect(Math.abs(r.loudness[0]! - -43.7)).toBeLessThanOrEqual(1);
    // AAC's ringing adds a little to the peak of a pure tone.
    expect(Math.abs(Math.max(...r.peaks) - -40)).toBeLessThanOrEqual(1);
    expect(Math.min(...r.peaks)).toBe(-200); // the muted blocks
    if (content === 'light') expect(r.sync).toEqual([]);
  }, 30_000);
});

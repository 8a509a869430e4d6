import { describe, expect, it } from 'vitest';
import type { PacketEvent } from '../../probes/events.ts';
import { RedeliveryFilter } from '../../probes/readers/hls.ts';

/** What a restarted ffprobe delivers again (the playlist's last segment) is dropped, per kind; new media passes. */

const video = (ptsMs: number | undefined, key = false): PacketEvent => ({ at: 0, kind: 'video', size: 1000, key, ...(ptsMs !== undefined && { ptsMs }) });
const audio = (ptsMs: number): PacketEvent => ({ at: 0, kind: 'audio', size: 100, key: true, ptsMs });
const passed = (f: RedeliveryFilter, ps: PacketEvent[]) => ps.filter((p) => f.pass(p)).map((p) => `${p.kind[0]}${p.ptsMs ?? '-'}`);

describe('RedeliveryFilter', () => {
  it('passes everything until a restart, B-frames out of order included', () => {
    const f = new RedeliveryFilter(() => 6000);
    expect(passed(f, [video(0, true), video(120), video(40), video(80), audio(0), audio(23)])).toEqual(['v0', 'v120', 'v40', 'v80', 'a0', 'a23']);
  });

  it('after a restart drops the segment read again, then passes from the first newer packet on, per kind', () => {
    const f = new RedeliveryFilter(() => 6000);
    passed(f, [video(1000, true), video(1120), video(1040), video(1080), audio(1000), audio(1960)]);
    f.restarted();
    // The last segment again (video 1000–1120, audio 1000–1960), then the next one: its keyframe is
    // the first newer video packet; a B-frame behind it is new media and passes.
    expect(passed(f, [video(1000, true), video(1120), audio(1000), video(1040), audio(1960), video(2000, true), video(2120), video(2040), audio(2000)])).toEqual(['v2000', 'v2120', 'v2040', 'a2000']);
  });

  it('a restart that finds only new media drops nothing', () => {
    const f = new RedeliveryFilter(() => 6000);
    passed(f, [video(1000, true), audio(1000)]);
    f.restarted();
    expect(passed(f, [video(2000, true), audio(2000), video(2040)])).toEqual(['v2000', 'a2000', 'v2040']);
  });

  it('pts farther behind than the playlist reaches are a restarted publisher: they pass', () => {
    const f = new RedeliveryFilter(() => 6000);
    passed(f, [video(90_000, true)]);
    f.restarted();
    expect(passed(f, [video(0, true), video(40), video(86_000)])).toEqual(['v0', 'v40', 'v86000']);
  });

  it('packets without pts cannot be told apart: they pass', () => {
    const f = new RedeliveryFilter(() => 6000);
    passed(f, [video(1000, true)]);
    f.restarted();
    expect(passed(f, [video(undefined), video(1000)])).toEqual(['v-']);
  });
});

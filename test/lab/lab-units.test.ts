import { describe, expect, it } from 'vitest';
import { HlsLedger } from '../../src/lab/hls-ledger.ts';
import { parseMediaPlaylist } from '../../src/lab/hls-playlist.ts';
import { avShiftCommand, freezeCommand } from '../../src/lab/publisher-args.ts';
import { StreamClock } from '../../src/lab/stream-clock.ts';
import { faultSchema } from '../../src/lab/fault-schema.ts';

const playlist = (seq: number, count: number) =>
  ['#EXTM3U', '#EXT-X-TARGETDURATION:1', `#EXT-X-MEDIA-SEQUENCE:${seq}`]
    .concat(Array.from({ length: count }, (_, i) => `#EXTINF:1.000000,\nindex${seq + i}.ts`))
    .join('\n') + '\n';

describe('publisher commands', () => {
  it('spells freeze and BT.1359-signed A/V shifts as ffmpeg stdin commands', () => {
    expect(freezeCommand(true)).toBe('coverlay@freeze -1 x 0\n');
    expect(freezeCommand(false)).toBe('coverlay@freeze -1 x 10000\n');
    expect(avShiftCommand(-300)).toBe('cvolume@sync -1 volume if(lt(mod(t-0.3,1),0.04),1,0)\n');
    expect(avShiftCommand(200)).toBe('cvolume@sync -1 volume if(lt(mod(t+0.2,1),0.04),1,0)\n');
    expect(avShiftCommand(0)).toBe('cvolume@sync -1 volume if(lt(mod(t,1),0.04),1,0)\n');
  });
});

describe('parseMediaPlaylist', () => {
  it('numbers segments from the media sequence', () => {
    expect(parseMediaPlaylist(playlist(100, 2))?.segments).toEqual([
      { sequence: 100, uri: 'index100.ts', durationMs: 1000 },
      { sequence: 101, uri: 'index101.ts', durationMs: 1000 },
    ]);
  });
  it('rejects a playlist caught half-written', () => {
    expect(parseMediaPlaylist(playlist(100, 2).slice(0, 60))).toBeUndefined();
    expect(parseMediaPlaylist('')).toBeUndefined();
  });
});

describe('StreamClock', () => {
  it('takes the tightest progress report as the pts→wall offset', () => {
    const clock = new StreamClock();
    clock.observe(10_600, 500);
    clock.observe(11_020, 1000);
    expect(clock.wallOf(2000)).toBe(12_020);
  });
  it('opens a new epoch when realtime resets after a long stall', () => {
    const clock = new StreamClock();
    clock.observe(10_000, 0);
    // at wall 15 000 a frame 3 s late arrives: it is pts 2000, and the offset grows by 3 s
    clock.discontinuity(15_000, -3_000_000);
    expect(clock.wallOf(1000)).toBe(11_000);
    expect(clock.wallOf(3000)).toBe(16_000);
  });
});

describe('HlsLedger', () => {
  it('maps the newest listed segment to the wall time of its end, across runs', () => {
    const ledger = new HlsLedger();
    const run1 = new StreamClock();
    run1.observe(1_000, 0);
    for (let n = 1; n <= 8; n++) ledger.observe(parseMediaPlaylist(playlist(500 + Math.max(0, n - 6), Math.min(n, 6)))!, run1);
    expect(ledger.newestEndWallMs(parseMediaPlaylist(playlist(502, 6))!)).toBe(1_000 + 8_000);
    const run2 = new StreamClock();
    run2.observe(50_000, 0);
    ledger.observe(parseMediaPlaylist(playlist(600, 1))!, run2);
    expect(ledger.newestEndWallMs(parseMediaPlaylist(playlist(600, 1))!)).toBe(51_000);
  });
});

describe('faultSchema', () => {
  it('names the bad field', () => {
    const result = faultSchema.safeParse({ stream: 'a', line: 'primary', kind: 'proxy', protocol: 'rtmp', mode: 'delay', ms: 'x' });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['ms']);
  });
});

/**
 * A stream whose FLV metadata lies (absurd size, frame rate and duration): the probe must report
 * what the media really is, classify the end of the stream, and keep going.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { probeUrl } from '../../probes/index.ts';
import { ffmpegPath } from '../../src/common/binaries.ts';
import { SampleLog } from './helpers/collect.ts';
import { closeServer, freePort, tempDir } from './helpers/media.ts';

/** AMF0 onMetaData script tag with the given numeric properties. */
function metadataTag(props: Record<string, number>): Buffer {
  const str = (s: string) => Buffer.concat([Buffer.from([s.length >> 8, s.length & 0xff]), Buffer.from(s)]);
  const num = (n: number) => {
    const b = Buffer.alloc(9);
    b[0] = 0x00;
    b.writeDoubleBE(n, 1);
    return b;
  };
  const entries = Object.entries(props).map(([k, v]) => Buffer.concat([str(k), num(v)]));
  const count = Buffer.alloc(4);
  count.writeUInt32BE(entries.length);
  const body = Buffer.concat([Buffer.from([0x02]), str('onMetaData'), Buffer.from([0x08]), count, ...entries, Buffer.from([0, 0, 9])]);
  const header = Buffer.alloc(11);
  header[0] = 18;
  header.writeUIntBE(body.length, 1, 3);
  const trailer = Buffer.alloc(4);
  trailer.writeUInt32BE(body.length + 11);
  return Buffer.concat([header, body, trailer]);
}

/** Replaces the real file's onMetaData tag (the first tag) with a lying one. */
function withLyingMetadata(flv: Buffer): Buffer {
  const firstTag = 13; // 9-byte header + PreviousTagSize0
  if (flv[firstTag] !== 18) throw new Error('expected onMetaData first');
  const size = flv.readUIntBE(firstTag + 1, 3);
  const rest = flv.subarray(firstTag + 11 + size + 4);
  const lie = metadataTag({ width: 99_999, height: -5, framerate: 1e9, duration: -1, videodatarate: 1e12 });
  return Buffer.concat([flv.subarray(0, firstTag), lie, rest]);
}

const tmp = tempDir('sg-absurd-');
let server: Server;
let url: string;

beforeAll(async () => {
  const file = join(tmp.dir, 'real.flv');
  const r = spawnSync(ffmpegPath, ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25', '-t', '4', '-c:v', 'libx264', '-preset', 'veryfast', '-g', '25', '-pix_fmt', 'yuv420p', '-f', 'flv', file]);
  expect(r.status).toBe(0);
  const body = withLyingMetadata(readFileSync(file));
  // Paced like a live stream: the 4 s of media over ~4 s, then the server ends the response.
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'video/x-flv' });
    let offset = 0;
    const chunk = Math.ceil(body.length / 40);
    const timer = setInterval(() => {
      res.write(body.subarray(offset, (offset += chunk)));
      if (offset >= body.length) {
        clearInterval(timer);
        res.end();
      }
    }, 100);
    res.on('close', () => clearInterval(timer));
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${port}/live/absurd.flv`;
});

afterAll(async () => {
  await closeServer(server);
  tmp.remove();
});

it('absurd FLV metadata: real size and rate are reported, the end is classified, the probe keeps reconnecting', async () => {
  const log = new SampleLog();
  const h = probeUrl(url, { region: 'test', probe: 'edge', stream: 'absurd', line: 'primary', decode: false, onSample: log.onSample });
  try {
    const up = await log.until((s) => s.connected && s.width !== undefined, 5000);
    expect(up).toMatchObject({ width: 640, height: 360 });
    expect(up.fps).toBeLessThan(100);
    const down = await log.until((s) => !s.connected && s.error !== undefined, 10_000);
    expect(['eof', 'timeout']).toContain(down.error);
    // It reconnects and sees the stream again.
    await log.until((s) => s.connected && s.seq > down.seq, 10_000);
  } finally {
    await h.stop();
  }
}, 30_000);

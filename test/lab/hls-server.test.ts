import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HlsServer, PLAYLIST_NAME } from '../../src/lab/hls-server.ts';
import { until } from '../helpers/until.ts';

const root = mkdtempSync(join(tmpdir(), 'sg-hls-'));
const dir = join(root, 'ch');
const segment = Buffer.from(Array.from({ length: 4096 }, (_, i) => i % 251));
const playlist = '#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:100\n#EXTINF:1.000000,\nindex100.ts\n';
const SECRET = 'outside the channel directory';
const hls = new HlsServer();
let port: number;

beforeAll(async () => {
  mkdirSync(dir);
  writeFileSync(join(dir, 'index100.ts'), segment);
  writeFileSync(join(dir, PLAYLIST_NAME), playlist);
  // Siblings of the channel directory that a traversal would reach.
  writeFileSync(join(root, 'secret.ts'), SECRET);
  mkdirSync(join(root, 'other'));
  writeFileSync(join(root, 'other', 'index1.ts'), SECRET);
  hls.addChannel('ch', dir, () => undefined, (s) => `${s.text}#rendered\n`);
  port = await hls.start();
});

afterAll(() => hls.stop());

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A request with the path sent exactly as written (fetch would normalise `..`). */
function request(path: string, opts: { method?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: opts.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

const errorOf = (answer: Answer) => JSON.parse(answer.body.toString('utf8')) as { error: { code: string; message: string } };

describe('HlsServer over HTTP', () => {
  it('serves the rendered playlist snapshot as an uncached HLS playlist', async () => {
    const answer = await until('the first playlist snapshot', async () => {
      const a = await request(`/hls/ch/${PLAYLIST_NAME}?_=1`);
      return a.status === 200 && a;
    });
    expect(answer.headers['content-type']).toBe('application/vnd.apple.mpegurl');
    expect(answer.headers['cache-control']).toBe('no-cache');
    expect(answer.body.toString('utf8')).toBe(`${playlist}#rendered\n`);
  });

  it('streams a segment as video/mp2t, whole or by byte range', async () => {
    const whole = await request('/hls/ch/index100.ts');
    expect(whole.status).toBe(200);
    expect(whole.headers['content-type']).toBe('video/mp2t');
    expect(whole.headers['accept-ranges']).toBe('bytes');
    expect(whole.body.equals(segment)).toBe(true);

    const part = await request('/hls/ch/index100.ts', { headers: { range: 'bytes=1000-1999' } });
    expect(part.status).toBe(206);
    expect(part.headers['content-type']).toBe('video/mp2t');
    expect(part.headers['content-range']).toBe(`bytes 1000-1999/${segment.length}`);
    expect(part.body.equals(segment.subarray(1000, 2000))).toBe(true);

    const head = await request('/hls/ch/index100.ts', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe(String(segment.length));
    expect(head.body.length).toBe(0);
  });

  it.each([
    '/hls/ch/..%2fsecret.ts',
    '/hls/ch/%2e%2e%2fsecret.ts',
    '/hls/ch/%2E%2E%2Fother%2Findex1.ts',
    '/hls/ch/..%5csecret.ts',
    '/hls/ch/..%2f..%2f..%2f..%2fetc%2fpasswd',
    '/hls/ch/../secret.ts',
    '/hls/ch/../other/index1.ts',
    '/hls/..%2fother/index1.ts',
    '/hls/ch/%2fetc%2fpasswd',
  ])('refuses %s with a 404 and never serves what lies outside the channel directory', async (path) => {
    const answer = await request(path);
    expect(answer.status).toBe(404);
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    expect(errorOf(answer).error.code).toBe('not_found');
    expect(answer.body.toString('utf8')).not.toContain(SECRET);
  });

  it('answers every other miss as a JSON not_found naming what is missing', async () => {
    expect(errorOf(await request('/hls/ch/index999.ts'))).toEqual({ error: { code: 'not_found', message: 'HLS channel "ch" has no segment index999.ts' } });
    expect(errorOf(await request('/hls/nope/index100.ts'))).toEqual({ error: { code: 'not_found', message: 'no HLS channel "nope"' } });
    expect(errorOf(await request('/hls/ch/index100.mp4')).error.message).toMatch(/serves index\.m3u8 and <name>\.ts segments, not "index100\.mp4"/);
    const post = await request('/hls/ch/index100.ts', { method: 'POST' });
    expect(post.status).toBe(404);
    expect(errorOf(post).error.code).toBe('not_found');
  });
});

import { hlsReader } from './hls.ts';
import { httpFlvReader } from './http-flv.ts';
import type { Reader } from './reader.ts';
import { rtmpReader } from './rtmp.ts';
import { rtspReader } from './rtsp.ts';
import { redactUrls } from '../../src/model/redact-url.ts';

export class UnsupportedUrlError extends Error {}

/** Picks the reader from the URL: scheme, and for HTTP the path extension. */
export function readerFor(url: string): Reader {
  const u = new URL(url);
  switch (u.protocol) {
    case 'rtmp:':
    case 'rtmps:':
      return rtmpReader;
    case 'rtsp:':
    case 'rtsps:':
      return rtspReader;
    case 'http:':
    case 'https:': {
      const path = u.pathname.toLowerCase();
      if (path.endsWith('.m3u8')) return hlsReader;
      if (path.endsWith('.flv')) return httpFlvReader;
      throw new UnsupportedUrlError(`cannot tell HLS from HTTP-FLV by the path of ${redactUrls(url)} (expected .m3u8 or .flv)`);
    }
    default:
      throw new UnsupportedUrlError(`unsupported protocol ${u.protocol} in ${redactUrls(url)}`);
  }
}

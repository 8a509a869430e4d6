import { describe, expect, it } from 'vitest';
import { overlayStreams, withStreams } from '../../src/config/stream-overlay.ts';
import { ConfigSchema } from '../../src/config/schema.ts';
import { StreamSchema, type StreamConfig } from '../../src/model/stream.ts';
import type { StreamRegistryEntry } from '../../src/store/ports.ts';

const stream = (id: string, url = `rtmp://127.0.0.1/live/${id}`): StreamConfig => StreamSchema.parse({ id, lines: { primary: { url } } });
const entry = (id: string, s: StreamConfig | null): StreamRegistryEntry => ({ id, stream: s, by: 'alice', at: 1, reason: 'test' });

describe('overlayStreams: the registry wins for the ids it holds, the file decides the rest', () => {
  const file = [stream('a'), stream('b'), stream('c')];

  it('no entries: the file as it is', () => {
    expect(overlayStreams(file, [])).toEqual(file);
  });

  it('replaces a file stream in place, hides a removed one, appends the registry-only ones by entry order', () => {
    const changedB = stream('b', 'rtmp://127.0.0.1/live/b-new');
    const out = overlayStreams(file, [entry('b', changedB), entry('c', null), entry('x', stream('x')), entry('y', stream('y'))]);
    expect(out.map((s) => s.id)).toEqual(['a', 'b', 'x', 'y']);
    expect(out[1]).toBe(changedB);
  });

  it('a removal of an id the file no longer has hides nothing; a re-added file stream comes back with the file', () => {
    expect(overlayStreams([stream('a')], [entry('gone', null)]).map((s) => s.id)).toEqual(['a']);
  });
});

describe('withStreams: a stream set checked as the config file is', () => {
  const config = ConfigSchema.parse({ regions: ['eu', 'us'], streams: [stream('a')] });

  it('takes a valid set; the rest of the config is kept', () => {
    const r = withStreams(config, [stream('a'), stream('b')]);
    expect('config' in r && r.config.streams.map((s) => s.id)).toEqual(['a', 'b']);
    expect('config' in r && r.config.regions).toEqual(['eu', 'us']);
  });

  it('names the stream and the path inside it for a cross check (an unknown region), and duplicates', () => {
    const bad = StreamSchema.parse({ id: 'b', lines: { backup: { url: 'rtmp://127.0.0.1/live/b', regionUrls: { asia: 'rtmp://127.0.0.1/live/b2' } } } });
    const r = withStreams(config, [stream('a'), bad, stream('a')]);
    expect('issues' in r && r.issues).toEqual([
      { stream: 'b', path: 'lines.backup.regionUrls.asia', message: 'unknown region "asia" (regions: eu, us)' },
      { stream: 'a', path: 'id', message: 'duplicate stream id "a" (first at streams[0])' },
    ]);
  });

  it('an empty set without a discovery source is refused', () => {
    const r = withStreams(config, []);
    expect('issues' in r && r.issues).toEqual([{ path: 'streams', message: 'at least one stream is required (or a discovery source)' }]);
  });
});

import { describe, expect, it } from 'vitest';
import { mergePatch } from '../../src/common/merge-patch.ts';
import { ConfigSchema } from '../../src/config/schema.ts';
import { formatPath } from '../../src/config/load.ts';
import { DiscoverySourceSchema } from '../../src/discovery/config-schema.ts';
import { discoveredStream } from '../../src/discovery/discovered-stream.ts';
import { diffPublished, type PublishedStream } from '../../src/discovery/published.ts';
import { expandTemplate, unknownPlaceholders } from '../../src/discovery/template.ts';
import { publishEventOf } from '../../src/discovery/webhook.ts';

describe('templates', () => {
  it('puts in {name} and {app}, every occurrence', () => {
    expect(expandTemplate('rtmp://edge/{app}/{name}?k={name}', { app: 'live', name: 'room-7' })).toBe('rtmp://edge/live/room-7?k=room-7');
  });

  it('finds placeholders that are no variable', () => {
    expect(unknownPlaceholders('rtmp://edge/{app}/{nmae}/{}')).toEqual(['nmae', '']);
  });

  it("a source's definition of a published stream: id and lines from its templates, its kind", () => {
    const source = DiscoverySourceSchema.parse({ name: 'edge', type: 'srs', url: 'http://127.0.0.1:1985', id: '{app}-{name}', kind: 'call', lines: { primary: 'rtmp://127.0.0.1/{app}/{name}', backup: 'http://127.0.0.1:8080/{app}/{name}.flv' } });
    expect(discoveredStream(source, { app: 'live', name: 'r1' })).toEqual({
      id: 'live-r1',
      name: 'live/r1',
      kind: 'call',
      lines: { primary: { url: 'rtmp://127.0.0.1/live/r1' }, backup: { url: 'http://127.0.0.1:8080/live/r1.flv' } },
    });
  });
});

describe('diffPublished', () => {
  const p = (name: string): PublishedStream => ({ app: 'live', name });

  it('adds what is published and not added, retires what was added and is no longer published', () => {
    const published = new Map([['a', p('a')], ['b', p('b')]]);
    expect(diffPublished(published, new Set(['b', 'c']))).toEqual({ appeared: [['a', p('a')]], disappeared: ['c'] });
    expect(diffPublished(new Map(), new Set())).toEqual({ appeared: [], disappeared: [] });
  });
});

describe('mergePatch (RFC 7396)', () => {
  it('replaces members, merges objects, removes on null, replaces arrays whole', () => {
    const target = { id: 's', kind: 'call', lines: { primary: { url: 'rtmp://a' }, backup: { url: 'rtmp://b', decode: true } }, tags: [1, 2] };
    expect(mergePatch(target, { kind: 'show-live', lines: { backup: { decode: null }, third: { url: 'rtmp://c' } }, tags: [3] })).toEqual({
      id: 's',
      kind: 'show-live',
      lines: { primary: { url: 'rtmp://a' }, backup: { url: 'rtmp://b' }, third: { url: 'rtmp://c' } },
      tags: [3],
    });
    expect(target.lines.backup.decode).toBe(true);
  });
});

describe('publish callbacks', () => {
  it("node-media-server's notify and SRS's http_hooks", () => {
    expect(publishEventOf({ action: 'postPublish', app: 'live', name: 'r1', id: 'x' })).toEqual({ published: true, stream: { app: 'live', name: 'r1' } });
    expect(publishEventOf({ action: 'donePublish', app: 'live', name: 'r1' })).toEqual({ published: false, stream: { app: 'live', name: 'r1' } });
    expect(publishEventOf({ action: 'on_publish', app: 'live', stream: 'r2', client_id: '1' })).toEqual({ published: true, stream: { app: 'live', name: 'r2' } });
    expect(publishEventOf({ action: 'on_unpublish', app: 'live', stream: 'r2' })).toEqual({ published: false, stream: { app: 'live', name: 'r2' } });
    expect(publishEventOf({ action: 'postPlay', app: 'live', name: 'r1' })).toBeUndefined();
    expect(() => publishEventOf({ action: 'on_publish', app: 'live' })).toThrow(/needs the stream's name/);
    expect(() => publishEventOf([1])).toThrow(/not a publish callback/);
  });
});

describe('the discovery section of the config', () => {
  const base = { streams: [{ id: 's1', lines: { primary: { url: 'rtmp://127.0.0.1/live/s1' } } }] };
  const errors = (discovery: unknown[]) => {
    const r = ConfigSchema.safeParse({ ...base, discovery });
    return r.success ? [] : r.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`);
  };

  it('names the YAML path of each mistake', () => {
    expect(
      errors([
        { name: 'a', type: 'srs', lines: { primary: 'rtmp://127.0.0.1/live/{nmae}' } },
        { name: 'b', type: 'node-media-server', url: 'http://127.0.0.1:8000', lines: { primary: 'ftp://127.0.0.1/{name}' }, usernameEnv: 'U' },
        { name: 'a', type: 'webhook', id: '{app}/{name}', lines: { primary: 'rtmp://127.0.0.1/live/x' } },
      ]),
    ).toEqual([
      'discovery[0].lines.primary: unknown placeholder(s) {nmae} (use {name}, {app})',
      'discovery[0].lines.primary: a line template needs {name}: otherwise every discovered stream gets the same URL',
      'discovery[0].url: a srs source needs the url of its HTTP API',
      'discovery[1].lines.primary: with name "example": unsupported scheme "ftp" (expected one of rtmp, rtmps, rtsp, http, https)',
      "discovery[1].passwordEnv: node-media-server's API needs a login: usernameEnv and passwordEnv",
      'discovery[1].passwordEnv: give usernameEnv and passwordEnv together',
      'discovery[2].lines.primary: a line template needs {name}: otherwise every discovered stream gets the same URL',
      'discovery[2].hookTokenEnv: a webhook source needs hookTokenEnv (the secret its callbacks carry)',
      'discovery[2].id: with name "example" it gives "live/example", not an id (letters, digits, "_", "." or "-")',
      'discovery[2].name: duplicate discovery source "a" (first at discovery[0])',
    ]);
  });

  it('a config of discovery sources alone needs no stream of its own', () => {
    expect(ConfigSchema.safeParse({ discovery: [{ name: 'e', type: 'mediamtx', url: 'http://127.0.0.1:9997', lines: { primary: 'rtsp://127.0.0.1:8554/{name}' } }] }).success).toBe(true);
    expect(ConfigSchema.safeParse({}).error?.issues.map((i) => `${formatPath(i.path)}: ${i.message}`)).toEqual(['streams: at least one stream is required (or a discovery source)']);
  });
});

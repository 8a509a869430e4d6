import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.ts';

const valid = `
streams:
  - id: show1
    lines:
      primary: { url: rtmp://127.0.0.1:1935/live/show1 }
      backup: { url: http://127.0.0.1:8000/live/show1.flv }
`;

describe('parseConfig', () => {
  it('accepts a minimal config and fills defaults', () => {
    const { config, errors } = parseConfig(valid);
    expect(errors).toEqual([]);
    expect(config?.probe.windowMs).toBe(1000);
    expect(config?.hub.listen).toBe('127.0.0.1:8080');
    expect(config?.streams[0]?.kind).toBe('show-live');
  });

  it('reports every error with its YAML path and line', () => {
    const text = `
probe:
  windowMs: 5
streams:
  - id: a
    lines:
      primary: { url: rtmp://h/live/a }
  - id: a
    lines:
      primary: { url: rtmp://h/live/a }
  - id: c
    lines:
      backup: { url: "htp://h/live/c" }
      primary: { url: rtmp://h/x, colour: red }
`;
    const { config, errors } = parseConfig(text);
    expect(config).toBeUndefined();
    const byPath = Object.fromEntries(errors.map((e) => [e.path, e]));
    expect(byPath['streams[2].lines.backup.url']?.message).toMatch(/unsupported scheme "htp"/);
    expect(byPath['streams[2].lines.backup.url']?.line).toBe(13);
    expect(byPath['streams[1].id']?.message).toMatch(/duplicate stream id "a" \(first at streams\[0\]\)/);
    expect(byPath['probe.windowMs']?.line).toBe(3);
    expect(byPath['streams[2].lines.primary']?.message).toMatch(/unknown key\(s\) "colour"/);
    expect(errors).toHaveLength(4);
  });

  it('probe.health: the defaults, overrides, false for a circumstantial reason, and a bad value named by its path', () => {
    expect(parseConfig(valid).config?.probe.health).toEqual({ eventLoopDelayMs: 150, cpuPressurePct: 95, timerLateMs: 150, childLateMs: 10, cpuUsePct: 90, timeJumpMs: 1000 });
    const tuned = parseConfig(`probe:\n  health: { eventLoopDelayMs: 300, cpuPressurePct: false }\n${valid}`);
    expect(tuned.errors).toEqual([]);
    expect(tuned.config?.probe.health).toMatchObject({ eventLoopDelayMs: 300, cpuPressurePct: false, timeJumpMs: 1000 });
    const bad = parseConfig(`probe:\n  health:\n    timeJumpMs: 5\n    eventLoopDelayMs: false\n    steal: 3\n${valid}`);
    expect(bad.errors.map((e) => `${e.line} ${e.path}`)).toEqual(expect.arrayContaining(['3 probe.health.timeJumpMs', '4 probe.health.eventLoopDelayMs']));
    expect(bad.errors.find((e) => e.path === 'probe.health')?.message).toMatch(/unknown key\(s\) "steal"/);
  });

  it('uplink.nats.stream: one copy, 2 GiB, 6 h by default; replicas for a NATS cluster; a bad value named by its path', () => {
    const nats = (stream: string) => `uplink:\n  nats:\n    url: nats://127.0.0.1:4222\n${stream}${valid}`;
    expect(parseConfig(nats('')).config?.uplink.nats?.stream).toEqual({ replicas: 1, maxBytes: 2 * 1024 ** 3, maxAge: 6 * 3_600_000 });
    expect(parseConfig(nats('    stream: { replicas: 3, maxAge: 12h }\n')).config?.uplink.nats?.stream).toEqual({ replicas: 3, maxBytes: 2 * 1024 ** 3, maxAge: 12 * 3_600_000 });
    const bad = parseConfig(nats('    stream:\n      replicas: 2\n      maxBytes: 1000\n      maxAge: 10s\n'));
    expect(bad.errors.map((e) => `${e.line} ${e.path}: ${e.message}`)).toEqual([
      expect.stringMatching(/^5 uplink\.nats\.stream\.replicas: must be 1, 3 or 5/),
      expect.stringMatching(/^6 uplink\.nats\.stream\.maxBytes: /),
      expect.stringMatching(/^7 uplink\.nats\.stream\.maxAge: at least 1m/),
    ]);
  });

  it('store.postgres names the environment variable of the URL: SQLite without it, a bad name refused at its path', () => {
    expect(parseConfig(valid).config?.store.postgres).toBeUndefined();
    expect(parseConfig(`store: { postgres: { urlEnv: SG_DATABASE_URL } }\n${valid}`).config?.store.postgres).toEqual({ urlEnv: 'SG_DATABASE_URL', statementTimeout: 15_000 });
    expect(parseConfig(`store: { postgres: { urlEnv: SG_DATABASE_URL, statementTimeout: 3s } }\n${valid}`).config?.store.postgres?.statementTimeout).toBe(3000);
    const url = parseConfig(`store:\n  postgres: { urlEnv: "postgres://u:p@h/db" }\n${valid}`);
    expect(url.errors.map((e) => [e.path, e.line])).toEqual([['store.postgres.urlEnv', 2]]);
    // A URL in the file itself is refused: the key is unknown, and the variable's name missing.
    expect(parseConfig(`store: { postgres: { url: "postgres://u:p@h/db" } }\n${valid}`).errors.map((e) => e.path).sort()).toEqual(['store.postgres', 'store.postgres.urlEnv']);
  });

  it('names YAML syntax errors with their position', () => {
    const { errors } = parseConfig('streams: [\n  - id: x\n');
    expect(errors[0]?.message).toMatch(/^YAML syntax/);
    expect(errors[0]?.line).toBeGreaterThan(0);
  });

  it('rejects an empty file and a missing streams list', () => {
    expect(parseConfig('').errors[0]?.path).toBe('streams');
  });

  it('checks regions named by probe.regions and regionUrls; regions default to the probe regions', () => {
    const ok = parseConfig(`probe: { regions: [eu, us] }\nstreams:\n  - id: a\n    lines: { p: { url: "rtmp://h/a", regionUrls: { us: "rtmp://us/a" } } }\n`);
    expect(ok.errors).toEqual([]);
    expect(ok.config?.regions).toEqual(['eu', 'us']);
    const bad = parseConfig(`probe: { regions: [eu, mars] }\nregions: [eu]\nstreams:\n  - id: a\n    lines: { p: { url: "rtmp://h/a", regionUrls: { us: "rtmp://us/a" } } }\n`);
    expect(bad.errors.map((e) => `${e.path}: ${e.message}`)).toEqual([
      'probe.regions[1]: unknown region "mars" (regions: eu)',
      'streams[0].lines.p.regionUrls.us: unknown region "us" (regions: eu)',
    ]);
  });

  it('content: full, light or off per line (default probe.content, off); light with decode is refused where it is set', () => {
    const ok = parseConfig(`probe: { content: light }\nstreams:\n  - id: a\n    lines: { p: { url: "rtmp://h/a" }, b: { url: "rtmp://h/b", content: full, decode: true } }\n`);
    expect(ok.errors).toEqual([]);
    expect(ok.config?.probe.content).toBe('light');
    expect(parseConfig(valid).config?.probe.content).toBe('off');
    const bad = parseConfig(`probe: { decode: true }\nstreams:\n  - id: a\n    lines: { p: { url: "rtmp://h/a", content: light }, b: { url: "rtmp://h/b", content: dim } }\n`);
    expect(bad.errors.map((e) => `${e.path}: ${e.message}`)).toEqual([
      expect.stringMatching(/^streams\[0\]\.lines\.b\.content: .*"full"/),
    ]);
    const both = parseConfig(`probe: { decode: true }\nstreams:\n  - id: a\n    lines: { p: { url: "rtmp://h/a", content: light } }\n`);
    expect(both.errors.map((e) => `${e.path}: ${e.message}`)).toEqual([
      'streams[0].lines.p.content: content: light cannot go with decode: true (decode already decodes every frame): use content: full, or decode: false',
    ]);
    const probeWide = parseConfig(`probe: { decode: true, content: light }\n${valid}`);
    expect(probeWide.errors.map((e) => e.path)).toEqual(['probe.content']);
    expect(parseConfig(valid).config?.probe.contentThresholds).toEqual({ blackPixelTh: 0.1, blackPictureTh: 0.98, silenceDb: -60, minRunMs: 500 });
    const tuned = parseConfig(`probe:\n  contentThresholds: { silenceDb: -50, blackPictureTh: 2 }\n${valid}`);
    expect(tuned.errors.map((e) => e.path)).toEqual(['probe.contentThresholds.blackPictureTh']);
  });

  it('refuses a region listed twice, in regions and in probe.regions, with its YAML path and line', () => {
    const bad = parseConfig(`regions: [r1, r1]\nprobe:\n  regions: [r1, r1]\nstreams:\n  - id: a\n    lines: { p: { url: "rtmp://h/a" } }\n`);
    expect(bad.errors.map((e) => `${e.line}:${e.col} ${e.path}: ${e.message}`)).toEqual([
      '1:15 regions[1]: duplicate region "r1" (first at regions[0])',
      '3:17 probe.regions[1]: duplicate region "r1" (first at probe.regions[0])',
    ]);
  });

  it('takes an alias used a few times (a shared line) and refuses chained aliases that expand without bound, at the first alias', () => {
    const shared = parseConfig(`streams:\n  - id: a\n    lines: { p: &line { url: "rtmp://h/a" } }\n  - id: b\n    lines: { p: *line }\n`);
    expect(shared.errors).toEqual([]);
    const levels = ['a', 'b', 'c', 'd', 'e', 'f'];
    const laughs = [`a: &a [x, x, x, x, x, x, x, x, x]`, ...levels.slice(1).map((l, i) => `${l}: &${l} [${Array(9).fill(`*${levels[i]}`).join(', ')}]`)].join('\n');
    const bad = parseConfig(`${laughs}\nstreams: []\n`);
    expect(bad.errors).toEqual([{ path: '', message: expect.stringMatching(/^too many aliases/), line: 2, col: 8 }]);
  });
});

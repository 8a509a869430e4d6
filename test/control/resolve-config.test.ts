import { describe, expect, it } from 'vitest';
import { StreamSchema } from '../../src/model/stream.ts';
import { ControlConfigSchema, DEFAULT_POLICY, policyFor } from '../../src/control/config-schema.ts';
import { resolvePlay } from '../../src/control/resolve.ts';
import type { StreamHealth } from '../../src/control/types.ts';
import type { Level } from '../../src/model/severity.ts';

const cfg = StreamSchema.parse({
  id: 's1',
  lines: {
    primary: { url: 'http://p.example/s1.flv', regionUrls: { us: 'http://p-us.example/s1.flv' } },
    backup: { url: 'http://b.example/s1.flv', regionUrls: { us: 'http://b-us.example/s1.flv' } },
    backup2: { url: 'http://c.example/s1.flv' },
  },
});
function health(spec: Record<string, Record<string, Level>>): StreamHealth {
  return Object.fromEntries(Object.entries(spec).map(([line, rs]) => [line, Object.fromEntries(Object.entries(rs).map(([r, level]) => [r, { level, since: 0 }]))]));
}

describe('resolvePlay (GET /play[?region=R])', () => {
  const cases: { name: string; active: string; h: Record<string, Record<string, Level>>; region?: string; line: string; url: string; reason: string }[] = [
    { name: 'no region: the active line, default URL', active: 'backup', h: {}, line: 'backup', url: 'http://b.example/s1.flv', reason: 'active' },
    { name: 'region where the active line is ok: it, regional URL', active: 'primary', h: { primary: { us: 'ok' } }, region: 'us', line: 'primary', url: 'http://p-us.example/s1.flv', reason: 'active' },
    { name: 'active down in the region: first ok line there', active: 'primary', h: { primary: { eu: 'down', us: 'ok' }, backup: { eu: 'ok' } }, region: 'eu', line: 'backup', url: 'http://b.example/s1.flv', reason: 'regional-reroute' },
    { name: 'only this region is routed around', active: 'primary', h: { primary: { eu: 'down', us: 'ok' }, backup: { eu: 'ok', us: 'ok' } }, region: 'us', line: 'primary', url: 'http://p-us.example/s1.flv', reason: 'active' },
    { name: 'active degraded, another ok: reroute', active: 'primary', h: { primary: { eu: 'degraded' }, backup: { eu: 'down' }, backup2: { eu: 'ok' } }, region: 'eu', line: 'backup2', url: 'http://c.example/s1.flv', reason: 'regional-reroute' },
    { name: 'active down, others degraded at best: a degraded one', active: 'primary', h: { primary: { eu: 'down' }, backup: { eu: 'degraded' } }, region: 'eu', line: 'backup', url: 'http://b.example/s1.flv', reason: 'regional-reroute' },
    { name: 'everything down: stays on the active line', active: 'primary', h: { primary: { eu: 'down' }, backup: { eu: 'down' } }, region: 'eu', line: 'primary', url: 'http://p.example/s1.flv', reason: 'active' },
    { name: 'region nobody probes: the active line', active: 'backup', h: { primary: { eu: 'ok' } }, region: 'ap', line: 'backup', url: 'http://b.example/s1.flv', reason: 'active' },
    { name: 'never to an unseen line', active: 'primary', h: { primary: { eu: 'down' } }, region: 'eu', line: 'primary', url: 'http://p.example/s1.flv', reason: 'active' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(resolvePlay(cfg, { active: c.active }, health(c.h), c.region)).toMatchObject({ stream: 's1', active: c.active, line: c.line, url: c.url, reason: c.reason });
    });
  }
});

describe('control config schema', () => {
  it('defaults', () => {
    const c = ControlConfigSchema.parse({});
    expect(c).toEqual({ dryRun: false, default: {}, streams: {}, actuators: [], tick: 1000 });
    expect(policyFor(c, 's1')).toEqual(DEFAULT_POLICY);
  });

  it('durations, per-stream overrides over the default, global dry-run wins', () => {
    const c = ControlConfigSchema.parse({
      dryRun: true,
      default: { holdOff: '45s', maxSwitchesPerHour: 4, features: { latency: ['co-hosting'] } },
      streams: { s1: { failback: 'sticky', holdOff: 1500, dryRun: false }, s2: { maxHoldOff: '10m' } },
      actuators: [
        { type: 'webhook', name: 'edge', url: 'https://edge.example/hook', secretEnv: 'EDGE_SECRET', timeout: '2s' },
        { type: 'command', name: 'cdn', argv: ['/usr/local/bin/cdn-switch', '{stream}', '{to}'] },
      ],
    });
    expect(policyFor(c, 's1')).toMatchObject({ failback: 'sticky', holdOffMs: 1500, maxSwitchesPerHour: 4, features: { latency: ['co-hosting'] }, dryRun: true });
    expect(policyFor(c, 's2')).toMatchObject({ failback: 'primary-preferred', holdOffMs: 45_000, maxHoldOffMs: 600_000 });
    expect(c.actuators[0]).toMatchObject({ timeout: 2000, retries: 3, backoff: 500, actions: ['switch', 'feature'] });
    expect(c.actuators[1]).toMatchObject({ timeout: 5000, retries: 0 });
  });

  it('errors name their path', () => {
    const r = ControlConfigSchema.safeParse({
      default: { holdOff: 'soon', failback: 'never' },
      actuators: [
        { type: 'webhook', name: 'a', url: 'ftp://x', secretEnv: 'not a var' },
        { type: 'command', name: 'a', argv: [] },
        { type: 'email', name: 'b' },
      ],
    });
    expect(r.success).toBe(false);
    const paths = r.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['default.holdOff', 'default.failback', 'actuators.0.url', 'actuators.0.secretEnv', 'actuators.1.argv', 'actuators.2.type']));
  });
});

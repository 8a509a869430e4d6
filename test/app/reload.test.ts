import { describe, expect, it } from 'vitest';
import { ConfigReloader, configChanges, describeChanges, restartOnlyChanges, type ReloadPart } from '../../src/app/reload.ts';
import { ConfigSchema, type Config } from '../../src/config/schema.ts';
import { ReloadError } from '../../src/common/reload.ts';

/** The reload's orchestration (src/app/reload.ts): restart-only keys, all parts prepared before any commits. */

function config(over: Record<string, unknown> = {}): Config {
  return ConfigSchema.parse({ streams: [{ id: 'a', lines: { primary: { url: 'rtmp://127.0.0.1/live/a' } } }], ...over });
}
const streams = (...ids: string[]) => ids.map((id) => ({ id, lines: { primary: { url: `rtmp://127.0.0.1/live/${id}` } } }));

describe('what a reload may change', () => {
  it('hub.listen, hub.dataDir and hub.tls need a restart: each one changed is named', () => {
    const now = config();
    expect(restartOnlyChanges(now, config({ control: { dryRun: true } }))).toEqual([]);
    const next = config({ hub: { listen: '127.0.0.1:9999', dataDir: '/elsewhere', tls: { certFile: 'c.pem', keyFile: 'k.pem' } } });
    expect(restartOnlyChanges(now, next).map((i) => i.message)).toEqual([
      'hub.listen cannot change without a restart (keep it as it is, or restart the hub)',
      'hub.dataDir cannot change without a restart (keep it as it is, or restart the hub)',
      'hub.tls cannot change without a restart (keep it as it is, or restart the hub)',
    ]);
  });

  it('what changed: streams added and removed, the sections that differ', () => {
    const c = configChanges(config({ streams: streams('a', 'b') }), config({ streams: streams('a', 'c'), rules: { stall: { threshold: 0.2 } } }));
    expect(c).toEqual({ added: ['c'], removed: ['b'], sections: ['streams', 'rules'] });
    expect(describeChanges(c)).toBe('streams +c -b; sections changed: streams, rules');
    expect(describeChanges(configChanges(config(), config()))).toBe('nothing changed');
  });
});

describe('ConfigReloader', () => {
  function parts(log: string[], fail: Record<string, Error> = {}): ReloadPart[] {
    return ['vendors', 'control', 'auth'].map((section) => ({
      section,
      prepare: () => {
        log.push(`prepare ${section}`);
        if (fail[section]) throw fail[section];
        return () => void log.push(`commit ${section}`);
      },
    }));
  }

  it('prepares every part, then commits every part in order', () => {
    const log: string[] = [];
    const outcomes: [boolean, number][] = [];
    const r = new ConfigReloader(config(), { parts: parts(log), clock: () => 42, onOutcome: (ok, at) => outcomes.push([ok, at]) });
    const next = config({ streams: streams('a', 'b') });
    expect(r.reload(next)).toEqual({ ok: true, changes: { added: ['b'], removed: [], sections: ['streams'] } });
    expect(log).toEqual(['prepare vendors', 'prepare control', 'prepare auth', 'commit vendors', 'commit control', 'commit auth']);
    expect(r.config).toBe(next);
    expect(outcomes).toEqual([[true, 42]]);
  });

  it('one part that cannot prepare: nothing is committed, the errors of every part are reported, the running config is kept', () => {
    const log: string[] = [];
    const outcomes: boolean[] = [];
    const fail = { control: new ReloadError({ path: 'control.actuators[0]', message: 'SECRET is not set' }), auth: new Error('something unexpected') };
    const current = config();
    const r = new ConfigReloader(current, { parts: parts(log, fail), clock: () => 0, onOutcome: (ok) => outcomes.push(ok) });
    expect(r.reload(config({ streams: streams('b') }))).toEqual({
      ok: false,
      errors: [
        { path: 'control.actuators[0]', message: 'SECRET is not set' },
        { path: 'auth', message: 'something unexpected' },
      ],
    });
    expect(log).toEqual(['prepare vendors', 'prepare control', 'prepare auth']);
    expect(r.config).toBe(current);
    expect(outcomes).toEqual([false]);
  });

  it('once the hub is stopping, a reload is refused before any part prepares (nothing starts again)', () => {
    const log: string[] = [];
    const r = new ConfigReloader(config(), { parts: parts(log), clock: () => 0 });
    r.close();
    expect(r.reload(config({ streams: streams('b') }))).toEqual({ ok: false, errors: [{ path: '', message: 'the hub is stopping' }] });
    expect(log).toEqual([]);
  });

  it('a restart-only change is refused before any part prepares', () => {
    const log: string[] = [];
    const r = new ConfigReloader(config(), { parts: parts(log), clock: () => 0 });
    expect(r.reload(config({ hub: { listen: '0.0.0.0:8080' } }))).toMatchObject({ ok: false, errors: [{ path: 'hub.listen' }] });
    expect(log).toEqual([]);
  });
});

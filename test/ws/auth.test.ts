import { describe, expect, it } from 'vitest';
import { Authenticator, isLoopback } from '../../src/auth/auth.ts';
import { ConfigSchema } from '../../src/config/schema.ts';

const base = { streams: [{ id: 's1', lines: { primary: { url: 'rtmp://127.0.0.1/live/s1' } } }] };

describe('auth config and tokens', () => {
  it('validates the auth section: roles, env variable names, duplicate names', () => {
    expect(ConfigSchema.parse(base).auth).toEqual({ tokens: [] });
    const bad = ConfigSchema.safeParse({ ...base, auth: { tokens: [{ name: 'a', role: 'admin', tokenEnv: 'X' }, { name: 'b', role: 'viewer', tokenEnv: 'not a var' }, { name: 'b', role: 'viewer', tokenEnv: 'Y' }] } });
    expect(bad.success).toBe(false);
    const paths = bad.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['auth.tokens.0.role', 'auth.tokens.1.tokenEnv']));
    const dup = ConfigSchema.safeParse({ ...base, auth: { tokens: [{ name: 'b', role: 'viewer', tokenEnv: 'X' }, { name: 'b', role: 'operator', tokenEnv: 'Y' }] } });
    expect(dup.error!.issues.map((i) => [i.path.join('.'), i.message])).toEqual([['auth.tokens.1.name', 'duplicate token name "b" (first at auth.tokens[0])']]);
  });

  it('modes: tokens, open on loopback, locked beyond it', () => {
    const tokens = [{ name: 'alice', role: 'operator' as const, tokenEnv: 'T' }];
    const a = new Authenticator({ tokens, listen: '0.0.0.0:8080', env: { T: 'secret' } });
    expect(a.mode).toBe('tokens');
    expect(a.check('secret')).toEqual({ name: 'alice', role: 'operator' });
    expect(a.check('secreT')).toBeUndefined();
    expect(a.check(undefined)).toBeUndefined();
    expect(new Authenticator({ tokens: [], listen: '127.0.0.1:0' }).check(undefined)).toEqual({ name: 'anonymous', role: 'operator' });
    const locked = new Authenticator({ tokens: [], listen: '0.0.0.0:8080' });
    expect(locked.mode).toBe('locked');
    expect(locked.check('anything')).toBeUndefined();
    expect(() => new Authenticator({ tokens, listen: '127.0.0.1:0', env: { T: '' } })).toThrow(/T \(token "alice"\) is not set/);
    expect([isLoopback('127.0.0.1:1'), isLoopback('localhost:1'), isLoopback('[::1]:1'), isLoopback('0.0.0.0:1'), isLoopback('10.0.0.1:1')]).toEqual([true, true, true, false, false]);
  });
});

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startHub, type HubHandle } from '../../src/app/start.ts';
import { ANONYMOUS, Authenticator } from '../../src/auth/auth.ts';
import { ConfigSchema, type Config } from '../../src/config/schema.ts';
import { ReloadError } from '../../src/common/reload.ts';

/** Operator tokens across a config reload: the new ones apply at the commit, revoked sessions are closed. */

const ENV = { SG_ALICE: 'alice-secret', SG_BOB: 'bob-secret', SG_BOB_NEW: 'bob-new-secret' };
const alice = { name: 'alice', role: 'operator' as const, tokenEnv: 'SG_ALICE' };
const bob = { name: 'bob', role: 'viewer' as const, tokenEnv: 'SG_BOB' };

describe('Authenticator.prepareReload', () => {
  it('reads every new secret first: an unset one is refused at its YAML path and nothing changes', () => {
    const auth = new Authenticator({ tokens: [alice], listen: '127.0.0.1:0', env: ENV });
    let error: unknown;
    try {
      auth.prepareReload([alice, { name: 'carol', role: 'viewer', tokenEnv: 'SG_UNSET' }]);
    } catch (err) {
      error = err;
    }
    expect((error as ReloadError).issues).toEqual([{ path: 'auth.tokens[1].tokenEnv', message: 'environment variable SG_UNSET (token "carol") is not set' }]);
    expect(auth.check('alice-secret')).toEqual({ name: 'alice', role: 'operator' });
  });

  it('the commit swaps the tokens; a token kept as it was keeps its sessions, a removed or changed one does not', () => {
    const auth = new Authenticator({ tokens: [alice, bob], listen: '127.0.0.1:0', env: ENV });
    const a = auth.check('alice-secret')!;
    const b = auth.check('bob-secret')!;
    let told = 0;
    auth.onReload(() => told++);
    const commit = auth.prepareReload([alice, { ...bob, tokenEnv: 'SG_BOB_NEW' }]);
    expect(auth.valid(b)).toBe(true); // prepared, not applied
    commit();
    expect(told).toBe(1);
    expect(auth.valid(a)).toBe(true);
    expect(auth.check('alice-secret')).toBe(a);
    expect(auth.valid(b)).toBe(false);
    expect(auth.check('bob-secret')).toBeUndefined();
    expect(auth.check('bob-new-secret')).toEqual({ name: 'bob', role: 'viewer' });
  });

  it('from open to tokens: the anonymous sessions are no longer valid', () => {
    const auth = new Authenticator({ tokens: [], listen: '127.0.0.1:0', env: ENV });
    expect(auth.mode).toBe('open');
    auth.prepareReload([alice])();
    expect(auth.mode).toBe('tokens');
    expect(auth.valid(ANONYMOUS)).toBe(false);
  });
});

const handles: HubHandle[] = [];
afterEach(async () => {
  for (const h of handles.splice(0)) await h.stop();
});

function config(dataDir: string, tokens: (typeof alice | typeof bob)[]): Config {
  return ConfigSchema.parse({ hub: { listen: '127.0.0.1:0', dataDir }, streams: [{ id: 's1', lines: { primary: { url: 'rtmp://127.0.0.1:1/live/s1' } } }], auth: { tokens } });
}

function connect(url: string, token: string): Promise<{ ws: WebSocket; closed: Promise<{ code: number; reason: string }> }> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws`, { headers: { authorization: `Bearer ${token}` } });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, r) => resolve({ code, reason: r.toString() })));
  return new Promise((resolve, reject) => {
    ws.on('open', () => resolve({ ws, closed }));
    ws.on('error', reject);
  });
}

describe('/ws sessions across a reload', () => {
  it('the session of a revoked token is closed (4401); the others stay', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-ws-reload-'));
    const h = await startHub(config(dir, [alice, bob]), { probes: false, tickMs: 0, env: ENV });
    handles.push(h);
    const a = await connect(h.url!, 'alice-secret');
    const b = await connect(h.url!, 'bob-secret');
    expect(h.reload(config(dir, [alice])).ok).toBe(true);
    expect(await b.closed).toEqual({ code: 4401, reason: 'unauthorized: token revoked by a config reload' });
    expect(a.ws.readyState).toBe(WebSocket.OPEN);
    a.ws.close();
  });
});

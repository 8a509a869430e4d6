/**
 * Credentials in stream URLs (`rtmp://user:pass@host/…?token=…`) never reach a log line, an
 * audit row or a config error: redactUrls masks the userinfo password and secret-looking query
 * parameters with `***`. The log line comes from a real `streamguard run` process.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { DB_FILE, startHub, type HubHandle } from '../../src/app/start.ts';
import { parseConfig } from '../../src/config/load.ts';
import { ConfigSchema } from '../../src/config/schema.ts';
import { redactUrls } from '../../src/model/redact-url.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import { spawnCli } from '../helpers/cli.ts';
import { until } from '../helpers/until.ts';

const SECRET_URL = 'rtmp://alice:pa55word@127.0.0.1:1/live/s1?token=t0ken&quality=hd';
const SECRETS = /pa55word|t0ken|s1gn/;

describe('redactUrls', () => {
  it('masks the password and secret query parameters, keeps the rest as written', () => {
    expect(redactUrls(SECRET_URL)).toBe('rtmp://alice:***@127.0.0.1:1/live/s1?token=***&quality=hd');
    expect(redactUrls('https://cdn.example/live.m3u8?auth_key=1-0-0-s1gn&X-Amz-Signature=abc&sig=x&Expires=9')).toBe('https://cdn.example/live.m3u8?auth_key=***&X-Amz-Signature=***&sig=***&Expires=9');
    expect(redactUrls('rtmp://user@host/app?txSecret=s&txTime=5 and http://x:y@h/ too')).toBe('rtmp://user@host/app?txSecret=***&txTime=5 and http://x:***@h/ too');
    expect(redactUrls('rtmp://host/live/s1')).toBe('rtmp://host/live/s1');
    expect(redactUrls('no url here: key=value')).toBe('no url here: key=value');
  });
});

describe('stream URL secrets in config errors, audit rows and logs', () => {
  let hub: HubHandle | undefined;
  afterAll(async () => {
    await hub?.stop();
  });

  it('names a bad URL without its secrets in the config error', () => {
    const { errors } = parseConfig(`streams:\n  - id: s1\n    lines:\n      primary: { url: "rtmp://alice:pa55word@/live?token=t0ken" }\n`);
    expect(errors.map((e) => e.message).join('\n')).toMatch(/rtmp:\/\/alice:\*\*\*@\/live\?token=\*\*\*/);
    expect(errors.map((e) => e.message).join('\n')).not.toMatch(SECRETS);
  });

  it('audits a switch and pushes it to /ws without the line URL secrets', async () => {
    const config = ConfigSchema.parse({
      hub: { listen: '127.0.0.1:0', dataDir: mkdtempSync(join(tmpdir(), 'sg-secrets-')) },
      probe: { embedded: false, regions: ['local', 'eu'] },
      streams: [{ id: 's1', lines: { primary: { url: 'rtmp://127.0.0.1:1/live/s1' }, backup: { url: SECRET_URL, regionUrls: { eu: 'https://cdn.example/s1.m3u8?sign=s1gn' } } } }],
    });
    hub = await startHub(config, { probes: false, tickMs: 0, env: {} });
    // An operator console subscribed to actions sees the switch, not the secrets.
    const ws = new WebSocket(`ws://${hub.address}/ws`);
    const events: string[] = [];
    ws.on('message', (d: Buffer) => events.push(d.toString()));
    await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
    ws.send(JSON.stringify({ id: 1, type: 'subscribe', topics: ['actions'] }));
    await until('subscribed', () => events.some((e) => JSON.parse(e).id === 1));
    const r = await fetch(`${hub.url}/api/v1/commands/switch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ stream: 's1', line: 'backup', reason: 'secrets test' }) });
    expect(r.status).toBe(200);
    const rows = await hub.store.audit.recent(10);
    const text = JSON.stringify(rows);
    expect(text).toContain('rtmp://alice:***@127.0.0.1:1/live/s1?token=***');
    expect(text).not.toMatch(SECRETS);
    await until('the switch on the actions topic', () => events.some((e) => e.includes('"topic":"actions"')));
    ws.close();
    expect(events.join('\n')).toContain('rtmp://alice:***@');
    expect(events.join('\n')).not.toMatch(SECRETS);
    // Players still get the real URL: /play is how they reach the line.
    const play = await fetch(`${hub.url}/api/v1/streams/s1/play?format=json`);
    expect(((await play.json()) as { url: string }).url).toBe(SECRET_URL);
  });

  it('masks an audit row an older hub wrote with the secrets in the REST and /ws audit answers', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sg-secrets-old-audit-'));
    new SqliteStore(join(dataDir, DB_FILE)).close(); // the schema
    const file = new Database(join(dataDir, DB_FILE));
    file.prepare('INSERT INTO audit (t, actor, action, target, reason, data) VALUES (?, ?, ?, ?, ?, ?)').run(1, 'policy:failover', 'control.switch', 'stream:s1 line:primary>backup', 'edge: HTTP 500', JSON.stringify({ action: { url: SECRET_URL } }));
    file.close();
    const old = await startHub(ConfigSchema.parse({ hub: { listen: '127.0.0.1:0', dataDir }, probe: { embedded: false }, streams: [{ id: 's1', lines: { primary: { url: SECRET_URL } } }] }), { probes: false, tickMs: 0, env: {} });
    try {
      const rest = await (await fetch(`${old.url}/api/v1/commands/audit`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).text();
      const ws = new WebSocket(`ws://${old.address}/ws`);
      const answer = new Promise<string>((resolve) => ws.on('message', (d: Buffer) => JSON.parse(d.toString()).id === 1 && resolve(d.toString())));
      await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
      ws.send(JSON.stringify({ id: 1, type: 'audit' }));
      const viaWs = await answer;
      ws.close();
      for (const text of [rest, viaWs]) {
        expect(text).toContain('rtmp://alice:***@127.0.0.1:1/live/s1?token=***');
        expect(text).not.toMatch(SECRETS);
      }
    } finally {
      await old.stop();
    }
  });

  it('logs a line down without the URL secrets (streamguard run)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-secrets-run-'));
    const file = join(dir, 'streamguard.yaml');
    writeFileSync(file, `hub: { listen: "127.0.0.1:0", dataDir: "${join(dir, 'data')}" }\nstreams:\n  - id: s1\n    lines:\n      primary: { url: "${SECRET_URL}" }\n`);
    const child = spawnCli(['run', '--config', file], { env: { STREAMGUARD_LOG_LEVEL: 'info' } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise((resolve) => child.on('close', resolve));
    try {
      // The detail is on the same log line as "line down".
      await until('a line-down log line', () => /line down[^\n]*\n/.test(out), 20_000);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
    expect(out).toContain('***');
    expect(out).not.toMatch(SECRETS);
  });
});

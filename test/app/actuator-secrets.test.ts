/**
 * Actuator errors quote URLs: a webhook's URL with its `?token=`, and a script's stderr names the
 * API it called, credentials and all. (A webhook URL with `user:pass@` is refused when the config
 * loads: test/tickets/url-credentials.test.ts.) A real `streamguard run` switches a stream by
 * command; its actuators fail against a real local HTTP target (a webhook with `?token=` the
 * target answers 500, a script that prints the URL with userinfo it called).
 * The credentials appear nowhere: not in the hub's pino output, the audit rows in its SQLite
 * file, the REST audit answer, nor the /ws actions event.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { recorder } from '../actuators/helpers.ts';
import { closedPort, spawnHub, until, type HubProcess } from '../helpers/processes.ts';

const SECRETS = /pa55word|t0ken/;

describe('actuator errors without URL credentials', () => {
  const stops: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
  });

  it('a failed switch is logged, audited, answered and pushed with the URLs masked', async () => {
    const target = await recorder(() => ({ status: 500 }));
    stops.push(target.close);
    const port = new URL(target.url).port;
    const withUserinfo = `http://alice:pa55word@127.0.0.1:${port}/hook?token=t0ken`;
    const withToken = `http://127.0.0.1:${port}/hook?token=t0ken`;
    const dir = mkdtempSync(join(tmpdir(), 'sg-actuator-secrets-'));
    const config = join(dir, 'streamguard.yaml');
    const dead = `rtmp://127.0.0.1:${await closedPort()}/live/s1`;
    writeFileSync(
      config,
      JSON.stringify({
        hub: { listen: '127.0.0.1:0', dataDir: join(dir, 'data') },
        probe: { embedded: false },
        streams: [{ id: 's1', lines: { primary: { url: dead }, backup: { url: dead } } }],
        control: {
          actuators: [
            { type: 'webhook', name: 'edge-token', url: withToken, retries: 0 },
            { type: 'command', name: 'edge-script', argv: ['sh', '-c', `echo "curl: POST ${withUserinfo} returned 500" >&2; exit 22`] },
          ],
        },
      }),
    );
    const hub: HubProcess = spawnHub(['--config', config], { STREAMGUARD_LOG_FORMAT: 'json' });
    stops.push(() => hub.kill9());
    const url = await Promise.race([hub.url, hub.exited.then((code) => Promise.reject(new Error(`hub exited (${code}): ${hub.stderr()}`)))]);

    const ws = new WebSocket(`${url.replace('http', 'ws')}/ws`);
    stops.push(async () => ws.close());
    const events: string[] = [];
    ws.on('message', (d: Buffer) => events.push(d.toString()));
    await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
    ws.send(JSON.stringify({ id: 1, type: 'subscribe', topics: ['actions'] }));
    await until('subscribed', () => events.some((e) => JSON.parse(e).id === 1));

    const post = (type: string, body: object) => fetch(`${url}/api/v1/commands/${type}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post('switch', { stream: 's1', line: 'backup', reason: 'secrets test' })).status).toBe(200);
    const done = await until('the switch done on the actions topic', () => events.find((e) => /"phase":"done"/.test(e)), 20_000);
    await until('the failure logged', () => /failed at an actuator/.test(hub.stderr()), 10_000);
    const answer = await (await post('audit', { limit: 20 })).text();
    const file = new Database(join(dir, 'data', 'streamguard.db'), { readonly: true });
    const rows = JSON.stringify(file.prepare('SELECT * FROM audit').all());
    file.close();

    // The errors are there, with the secrets masked: the target was reached and failed, too.
    expect(target.received.length).toBeGreaterThan(0);
    for (const text of [done, answer, rows, hub.stderr()]) {
      expect(text).toContain('alice:***@127.0.0.1');
      expect(text).toContain('token=***');
      expect(text).toContain('HTTP 500');
      expect(text).toContain('exit code 22');
      expect(text).not.toMatch(SECRETS);
    }
    expect(events.join('\n') + hub.stdout()).not.toMatch(SECRETS);
  });
});

/**
 * Methods, sizes and aborted requests at the hub's HTTP surface, against a real hub: the public
 * probes answer 405 with `allow` to writes, an oversized webhook body gets its 413 (not a reset),
 * and a client that gives up mid-body is no error in the hub's log.
 */
import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type HubHandle } from '../../src/app/start.ts';
import { ConfigSchema } from '../../src/config/schema.ts';
import { until } from '../helpers/until.ts';

const ENV = { SG_OPS: 'op-secret-1', ACK: 'ack-secret-1' };
const logLines: string[] = [];
const logger = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) });

let hub: HubHandle;
let port: number;
beforeAll(async () => {
  const config = ConfigSchema.parse({
    hub: { listen: '127.0.0.1:0', dataDir: mkdtempSync(join(tmpdir(), 'sg-http-refusals-')) },
    probe: { embedded: false },
    streams: [{ id: 's1', lines: { primary: { url: 'rtmp://127.0.0.1:1/live/s1' } } }],
    auth: { tokens: [{ name: 'alice', role: 'operator', tokenEnv: 'SG_OPS' }] },
    vendors: [{ name: 'desk', type: 'webhook', url: 'http://127.0.0.1:9/x', ackTokenEnv: 'ACK' }],
  });
  hub = await startHub(config, { probes: false, tickMs: 0, env: ENV, logger });
  port = Number(hub.address!.slice(hub.address!.lastIndexOf(':') + 1));
});
afterAll(async () => {
  await hub?.stop();
});

/** One request; a body given as chunks is sent chunked (no content-length). */
function request(path: string, method: string, body?: Buffer | Buffer[]): Promise<{ status: number; allow?: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, agent: false, headers: { authorization: `Bearer ${ENV.ACK}`, 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ...(res.headers.allow !== undefined && { allow: res.headers.allow }), body: text }));
    });
    req.on('error', reject);
    if (Array.isArray(body)) {
      const chunks = [...body];
      const more = (): void => {
        const next = chunks.shift();
        if (!next) return void req.end();
        if (req.write(next)) setImmediate(more);
        else req.once('drain', more);
      };
      req.on('error', () => chunks.splice(0));
      more();
    } else req.end(body);
  });
}

describe('hub HTTP refusals', () => {
  it('/readyz and /metrics answer writes and TRACE with 405 and allow: GET, HEAD', async () => {
    for (const path of ['/readyz', '/metrics', '/healthz']) {
      for (const method of ['POST', 'PUT', 'DELETE', 'TRACE']) {
        const r = await request(path, method);
        expect([path, method, r.status, r.allow, JSON.parse(r.body).error.code]).toEqual([path, method, 405, 'GET, HEAD', 'method_not_allowed']);
      }
    }
  });

  it('a GET on a command answers 405 method_not_allowed with allow: POST (to a caller the auth gate lets through)', async () => {
    const r = await fetch(`http://127.0.0.1:${port}/api/v1/commands/ack`, { headers: { authorization: `Bearer ${ENV.SG_OPS}` } });
    expect([r.status, r.headers.get('allow'), ((await r.json()) as { error: { code: string } }).error.code]).toEqual([405, 'POST', 'method_not_allowed']);
  });

  it('a 10 MB body to a vendor webhook gets 413, not a reset, with a length or chunked', async () => {
    const sized = await request('/api/v1/tickets/webhooks/ack/desk', 'POST', Buffer.alloc(10 << 20, 0x20));
    expect([sized.status, JSON.parse(sized.body).error.code]).toEqual([413, 'too_large']);
    const chunked = await request('/api/v1/tickets/webhooks/ack/desk', 'POST', Array.from({ length: 160 }, () => Buffer.alloc(64 << 10, 0x20)));
    expect([chunked.status, JSON.parse(chunked.body).error.code]).toEqual([413, 'too_large']);
  });

  it('a client that aborts mid-body is not logged as an error', async () => {
    const before = logLines.length;
    await new Promise<void>((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => {
        s.write(`POST /api/v1/tickets/webhooks/ack/desk HTTP/1.1\r\nhost: hub\r\nauthorization: Bearer ${ENV.ACK}\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n{"incident": "`);
        setImmediate(() => (s.destroy(), resolve()));
      });
      s.on('error', reject);
    });
    // The hub still answers, and what it logged about the abort (if anything) is no error with a stack.
    await until('the hub answers after the abort', async () => (await request('/healthz', 'GET')).status === 200);
    const logged = logLines.slice(before).map((l) => JSON.parse(l) as { level: number; err?: { stack?: string } });
    expect(logged.filter((l) => l.level >= 50 || l.err?.stack !== undefined)).toEqual([]);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { createActuators } from '../../src/actuators/index.ts';
import { signPayload, verifySignature, WebhookActuator } from '../../src/actuators/webhook.ts';
import { action, recorder } from './helpers.ts';

const SECRET = 'test-secret-Ω';
const servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

describe('webhook actuator (real local HTTP server)', () => {
  it('POSTs the action as JSON with an HMAC-SHA256 signature the receiver verifies, and the idempotency key', async () => {
    const srv = await recorder((_n, r) => ({ status: verifySignature(SECRET, r.body, r.headers['x-streamguard-timestamp'] as string, r.headers['x-streamguard-signature'] as string) ? 204 : 401 }));
    servers.push(srv);
    const hook = new WebhookActuator({ name: 'edge', url: srv.url, secret: SECRET });
    const a = action();
    const r = await hook.execute(a);
    expect(r).toMatchObject({ actuator: 'edge', ok: true, attempts: 1, status: 204 });
    const got = srv.received[0]!;
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['idempotency-key']).toBe(a.id);
    expect(JSON.parse(got.body)).toEqual(a);
    const ts = got.headers['x-streamguard-timestamp'] as string;
    expect(got.headers['x-streamguard-signature']).toBe(signPayload(SECRET, ts, got.body));
    // A tampered body or a wrong secret does not verify; nor does a stale timestamp.
    expect(verifySignature(SECRET, got.body.replace('backup', 'primary'), ts, got.headers['x-streamguard-signature'] as string)).toBe(false);
    expect(verifySignature('other', got.body, ts, got.headers['x-streamguard-signature'] as string)).toBe(false);
    expect(verifySignature(SECRET, got.body, ts, got.headers['x-streamguard-signature'] as string, 300, Number(ts) + 301)).toBe(false);
  });

  it('a receiver with another secret answers 401: not retried, reported', async () => {
    const srv = await recorder((_n, r) => ({ status: verifySignature('nope', r.body, r.headers['x-streamguard-timestamp'] as string, r.headers['x-streamguard-signature'] as string) ? 200 : 401 }));
    servers.push(srv);
    const r = await new WebhookActuator({ name: 'edge', url: srv.url, secret: SECRET, retries: 3, backoffMs: 10 }).execute(action());
    expect(r).toMatchObject({ ok: false, attempts: 1, status: 401, error: 'HTTP 401' });
    expect(srv.received).toHaveLength(1);
  });

  it('times out a slow receiver, retries with backoff, then succeeds (same idempotency key every attempt)', async () => {
    const srv = await recorder((n) => (n === 1 ? { status: 200, delayMs: 2000 } : n === 2 ? { status: 503 } : { status: 200 }));
    servers.push(srv);
    const r = await new WebhookActuator({ name: 'edge', url: srv.url, timeoutMs: 200, retries: 3, backoffMs: 100 }).execute(action());
    expect(r).toMatchObject({ ok: true, attempts: 3, status: 200 });
    expect(srv.received.map((x) => x.headers['x-streamguard-attempt'])).toEqual(['1', '2', '3']);
    expect(new Set(srv.received.map((x) => x.headers['idempotency-key'])).size).toBe(1);
    // backoff: 100 ms after attempt 1 (which timed out at 200 ms), 200 ms after attempt 2
    expect(srv.received[1]!.at - srv.received[0]!.at).toBeGreaterThanOrEqual(280);
    expect(srv.received[2]!.at - srv.received[1]!.at).toBeGreaterThanOrEqual(190);
  });

  it('500 every time: gives up after 1 + retries attempts', async () => {
    const srv = await recorder(() => ({ status: 500 }));
    servers.push(srv);
    const r = await new WebhookActuator({ name: 'edge', url: srv.url, retries: 2, backoffMs: 20 }).execute(action());
    expect(r).toMatchObject({ ok: false, attempts: 3, status: 500 });
    expect(r.error).toMatch(/HTTP 500 \(gave up after 3 attempts\)/);
    expect(srv.received).toHaveLength(3);
  });

  it('nobody listening: connection refused, retried, reported', async () => {
    const srv = await recorder();
    const url = srv.url;
    await srv.close();
    const r = await new WebhookActuator({ name: 'edge', url, retries: 1, backoffMs: 10 }).execute(action());
    expect(r).toMatchObject({ ok: false, attempts: 2 });
    expect(r.error).toMatch(/ECONNREFUSED/);
  });

  it('abort stops the retries', async () => {
    const srv = await recorder(() => ({ status: 500 }));
    servers.push(srv);
    const ac = new AbortController();
    const p = new WebhookActuator({ name: 'edge', url: srv.url, retries: 5, backoffMs: 5000 }).execute(action(), { signal: ac.signal });
    setTimeout(() => ac.abort(), 200);
    expect(await p).toMatchObject({ ok: false, attempts: 1, error: 'aborted' });
  });

  it('filters by action type and stream; createActuators reads the secret from the environment', async () => {
    const hook = new WebhookActuator({ name: 'edge', url: 'http://127.0.0.1:1/', streams: ['s1'] });
    expect(hook.accepts(action())).toBe(true);
    expect(hook.accepts(action({ stream: 's2' }))).toBe(false);
    expect(hook.accepts(action({ type: 'escalate' }))).toBe(false);
    const cfg = { type: 'webhook' as const, name: 'edge', url: 'http://127.0.0.1:1/', secretEnv: 'SG_TEST_SECRET', actions: ['switch' as const], timeout: 1000, retries: 0, backoff: 10, maxBackoff: 10 };
    expect(() => createActuators([cfg], {})).toThrow(/SG_TEST_SECRET/);
    expect(createActuators([cfg], { SG_TEST_SECRET: 'x' })[0]!.name).toBe('edge');
  });
});

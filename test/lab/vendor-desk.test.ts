import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VendorDesk, type DeskTicket } from '../../src/lab/vendor-desk.ts';

const desk = new VendorDesk();
let base: string;
const opened: [number, string][] = [];

beforeAll(async () => {
  base = `http://127.0.0.1:${await desk.start()}`;
  desk.watch((t, change) => opened.push([t.id, change]));
});

afterAll(() => desk.stop());

const send = (method: string, path: string, body?: unknown, contentType = 'application/json') =>
  fetch(`${base}${path}`, { method, ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': contentType } }) });

async function error(res: Response): Promise<{ status: number; error: { code: string; message: string } }> {
  return { status: res.status, ...((await res.json()) as { error: { code: string; message: string } }) };
}

describe('VendorDesk over HTTP', () => {
  it('opens and updates Zendesk-shaped tickets and lists them', async () => {
    const created = await send('POST', '/api/v2/tickets.json', { ticket: { subject: 's1 down', priority: 'high', external_id: 'inc-1', comment: { body: 'first' }, type: 'incident', tags: ['a'] } });
    expect(created.status).toBe(201);
    const { ticket } = (await created.json()) as { ticket: { id: number } };
    const updated = await send('PUT', `/api/v2/tickets/${ticket.id}.json`, { ticket: { status: 'solved', comment: { body: 'fixed', public: true } } });
    expect(updated.status).toBe(200);
    expect(await updated.json()).toEqual({ ticket: { id: ticket.id } });

    const listed = (await (await fetch(`${base}/api/v2/tickets.json`)).json()) as { tickets: DeskTicket[] };
    expect(listed.tickets).toEqual([expect.objectContaining({ id: ticket.id, subject: 's1 down', priority: 'high', status: 'solved', externalId: 'inc-1', comments: ['first', 'fixed'] })]);
    expect(opened).toEqual([
      [ticket.id, 'opened'],
      [ticket.id, 'updated'],
    ]);
  });

  it('a PUT sets the subject; an upload is attached by the comment that names its token', async () => {
    const up = await send('POST', '/api/v2/uploads.json?filename=evidence.json', { incidentId: 'inc-2' });
    expect(up.status).toBe(201);
    const { upload } = (await up.json()) as { upload: { token: string } };
    const created = await send('POST', '/api/v2/tickets.json', { ticket: { subject: '[P1] s1 down (regional: eu)', comment: { body: 'first', uploads: [upload.token] } } });
    const { ticket } = (await created.json()) as { ticket: { id: number } };
    await send('PUT', `/api/v2/tickets/${ticket.id}.json`, { ticket: { subject: '[P1] s1 down (line: eu, us)', comment: { body: 'wider' } } });
    expect(desk.tickets.find((t) => t.id === ticket.id)).toMatchObject({ subject: '[P1] s1 down (line: eu, us)', comments: ['first', 'wider'], attachments: [{ filename: 'evidence.json', content: { incidentId: 'inc-2' } }] });
    expect(await error(await send('PUT', `/api/v2/tickets/${ticket.id}.json`, { ticket: { comment: { uploads: ['nope'] } } }))).toMatchObject({ status: 400, error: { message: 'no upload with token nope' } });
    expect(await error(await send('POST', '/api/v2/uploads.json', {}))).toMatchObject({ status: 400, error: { message: 'uploads.json needs ?filename=' } });
  });

  it('a write repeated with the same Idempotency-Key gets the first answer and changes nothing (as Zendesk)', async () => {
    const keyed = (method: string, path: string, key: string, body: unknown) => fetch(`${base}${path}`, { method, body: JSON.stringify(body), headers: { 'content-type': 'application/json', 'idempotency-key': key } });
    const before = desk.tickets.length;
    const first = await keyed('POST', '/api/v2/tickets.json', 'inc-9/desk/open', { ticket: { subject: 'first send', external_id: 'inc-9', comment: { body: 'a' } } });
    const again = await keyed('POST', '/api/v2/tickets.json', 'inc-9/desk/open', { ticket: { subject: 'sent again by the next owner', external_id: 'inc-9', comment: { body: 'a' } } });
    expect([first.status, first.headers.get('x-idempotency-lookup')]).toEqual([201, 'miss']);
    expect([again.status, again.headers.get('x-idempotency-lookup')]).toEqual([201, 'hit']);
    const { ticket } = (await first.json()) as { ticket: { id: number } };
    expect(await again.json()).toEqual({ ticket: { id: ticket.id } });
    expect(desk.tickets.length).toBe(before + 1);

    const update = { ticket: { status: 'solved', comment: { body: 'resolved' } } };
    await keyed('PUT', `/api/v2/tickets/${ticket.id}.json`, 'inc-9/desk/resolve', update);
    expect((await keyed('PUT', `/api/v2/tickets/${ticket.id}.json`, 'inc-9/desk/resolve', update)).headers.get('x-idempotency-lookup')).toBe('hit');
    expect(desk.tickets.find((t) => t.id === ticket.id)).toMatchObject({ subject: 'first send', status: 'solved', comments: ['a', 'resolved'] });
    // Another key is another write.
    await keyed('POST', '/api/v2/tickets.json', 'inc-10/desk/open', { ticket: { subject: 'x' } });
    expect(desk.tickets.length).toBe(before + 2);
  });

  it('records any JSON webhook with its path and headers; one without a body as {}', async () => {
    expect((await send('POST', '/hooks/edge?x=1', { type: 'switch', to: 'backup' })).status).toBe(200);
    expect((await fetch(`${base}/hooks/empty`, { method: 'POST' })).status).toBe(200);
    const { hooks } = (await (await fetch(`${base}/hooks`)).json()) as { hooks: { path: string; headers: Record<string, string>; body: unknown }[] };
    expect(hooks.map((h) => [h.path, h.body])).toEqual([
      ['/hooks/edge', { type: 'switch', to: 'backup' }],
      ['/hooks/empty', {}],
    ]);
    expect(hooks[0]!.headers['content-type']).toBe('application/json');
  });

  it('answers bad requests as {error: {code, message}} naming what is wrong', async () => {
    expect(await error(await send('POST', '/api/v2/tickets.json', { subject: 'no wrapper' }))).toMatchObject({ status: 400, error: { code: 'bad_request', message: expect.stringMatching(/^ticket: /) } });
    expect(await error(await send('POST', '/api/v2/tickets.json', { ticket: { subject: 5 } }))).toMatchObject({ status: 400, error: { code: 'bad_request', message: expect.stringMatching(/^ticket\.subject: /) } });
    expect(await error(await send('POST', '/api/v2/tickets.json', '{"ticket":'))).toEqual({ status: 400, error: { code: 'bad_request', message: 'body is not valid JSON' } });
    expect(await error(await send('POST', '/api/v2/tickets.json', 'ticket=1', 'application/x-www-form-urlencoded'))).toMatchObject({ status: 415, error: { code: 'unsupported_media_type' } });
    const huge = { ticket: { subject: 'x'.repeat(1024 * 1024) } };
    expect(await error(await send('POST', '/api/v2/tickets.json', huge))).toEqual({ status: 413, error: { code: 'too_large', message: `body larger than ${1024 * 1024} bytes` } });
    expect(await error(await send('PUT', '/api/v2/tickets/999.json', { ticket: { status: 'solved' } }))).toMatchObject({ status: 404, error: { code: 'not_found', message: expect.stringMatching(/^no ticket 999/) } });
    expect(await error(await send('DELETE', '/api/v2/tickets/1.json'))).toEqual({ status: 404, error: { code: 'not_found', message: 'no route for DELETE /api/v2/tickets/1.json' } });
  });

  it('stop returns promptly with a keep-alive connection still open', async () => {
    const other = new VendorDesk();
    const port = await other.start();
    await (await fetch(`http://127.0.0.1:${port}/hooks`)).json(); // fetch keeps the connection open
    const started = Date.now();
    await other.stop();
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FORWARDED_BY_HEADER, FORWARDED_VIA_HEADER, forwardCommand, type ForwardedCommand } from '../../src/cluster/forward.ts';
import { HttpError } from '../../src/http/http-error.ts';
import { closedPort } from '../helpers/processes.ts';

/**
 * The forwarder against a real HTTP server standing in for the owner hub: what it sends (path,
 * headers, body), and how the owner's answer comes back (result, error code and status, or 503
 * when the owner does not answer as a hub).
 */

let owner: http.Server;
let url: string;
const seen: { path: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
/** The next answer of the stand-in owner: status and raw body. */
let answer: { status: number; body: string } = { status: 200, body: '{}' };

beforeAll(async () => {
  owner = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ path: req.url ?? '', headers: req.headers, body });
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
    });
  });
  await new Promise<void>((r) => owner.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(owner.address() as AddressInfo).port}/`;
});

afterAll(async () => {
  owner.closeAllConnections();
  await new Promise((r) => owner.close(r));
});

const command = (over: Partial<ForwardedCommand> = {}): ForwardedCommand => ({
  to: { hub: 'hub-a', url },
  from: 'hub-b',
  type: 'pin',
  body: { stream: 's1', line: 'backup', reason: 'maintenance', ttlMs: 60_000 },
  authorization: 'Bearer op-secret',
  via: 'ws',
  ...over,
});

async function refusal(cmd: ForwardedCommand): Promise<HttpError> {
  const err = await forwardCommand(cmd).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(HttpError);
  return err as HttpError;
}

describe('forwardCommand', () => {
  it("posts the command to the owner's REST twin with the caller's Authorization and resolves the owner's result", async () => {
    answer = { status: 200, body: JSON.stringify({ ok: true, result: { stream: 's1', until: 42 } }) };
    seen.length = 0;
    expect(await forwardCommand(command())).toEqual({ stream: 's1', until: 42 });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.path).toBe('/api/v1/commands/pin');
    expect(seen[0]!.headers).toMatchObject({ authorization: 'Bearer op-secret', 'content-type': 'application/json', [FORWARDED_BY_HEADER]: 'hub-b', [FORWARDED_VIA_HEADER]: 'ws' });
    expect(JSON.parse(seen[0]!.body)).toEqual({ stream: 's1', line: 'backup', reason: 'maintenance', ttlMs: 60_000 });
  });

  it('sends no Authorization when the caller had none (an open hub)', async () => {
    answer = { status: 200, body: JSON.stringify({ ok: true, result: null }) };
    seen.length = 0;
    await forwardCommand(command({ authorization: undefined }));
    expect(seen[0]!.headers.authorization).toBeUndefined();
  });

  it("throws the owner's refusal with its code, status and message", async () => {
    answer = { status: 409, body: JSON.stringify({ error: { code: 'conflict', message: 'incident "i1" is resolved' } }) };
    const err = await refusal(command());
    expect([err.status, err.code, err.message]).toEqual([409, 'conflict', 'incident "i1" is resolved']);
  });

  it("takes the code from the status when the owner's code is not one of ours", async () => {
    answer = { status: 404, body: JSON.stringify({ error: { code: 'gone_fishing', message: 'nothing here' } }) };
    const err = await refusal(command());
    expect([err.status, err.code, err.message]).toEqual([404, 'not_found', 'nothing here']);
  });

  it('answers 503 when the owner answers something that is not a hub answer', async () => {
    answer = { status: 502, body: '<html>bad gateway</html>' };
    const err = await refusal(command());
    expect([err.status, err.code]).toEqual([503, 'unavailable']);
    expect(err.message).toBe(`hub "hub-a" (${url}), the owner of this stream, answered HTTP 502 without a streamguard answer: retry in a moment`);
  });

  it('answers 503 naming the owner when it does not answer at all', async () => {
    const down = `http://127.0.0.1:${await closedPort()}`;
    const err = await refusal(command({ to: { hub: 'hub-a', url: down } }));
    expect([err.status, err.code]).toEqual([503, 'unavailable']);
    expect(err.message).toMatch(new RegExp(`^hub "hub-a" \\(${down.replace(/\./g, '\\.')}\\), the owner of this stream, did not answer \\(.*ECONNREFUSED.*\\): retry in a moment$`));
  });
});

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ControlAction } from '../../src/actuators/types.ts';

export interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

/** A real local HTTP server that records every request and answers with `respond(n)` (n = 1-based request number). */
export async function recorder(respond: (n: number, req: Received) => { status: number; delayMs?: number } = () => ({ status: 200 })) {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => {
      const r: Received = { headers: req.headers, body, at: Date.now() };
      received.push(r);
      const { status, delayMs = 0 } = respond(received.length, r);
      const t = setTimeout(() => res.writeHead(status, { 'content-type': 'application/json' }).end('{}'), delayMs);
      res.on('close', () => clearTimeout(t));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export function action(over: Partial<ControlAction> = {}): ControlAction {
  return {
    id: 's1:switch:primary>backup:1700000000000',
    type: 'switch',
    stream: 's1',
    at: 1_700_000_000_000,
    actor: 'policy:failover',
    policy: 'failover',
    reason: 'failover',
    why: 'line "primary" unusable (eu: down)',
    dryRun: false,
    from: 'primary',
    to: 'backup',
    url: 'http://127.0.0.1:8000/live/s1.flv',
    ...over,
  };
}

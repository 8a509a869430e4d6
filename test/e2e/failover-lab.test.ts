/**
 * Failover end to end (the controller part): real lab streams, the real hub with its
 * embedded probes in two regions, the controller, a webhook receiver, /play and /metrics.
 */
import { createServer, type Server } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifySignature } from '../../src/actuators/webhook.ts';
import { ConfigSchema } from '../../src/config/schema.ts';
import { startHub, type HubHandle } from '../../src/app/start.ts';
import { startLab, VendorDesk, type Lab } from '../../src/lab/index.ts';
import { until } from '../helpers/until.ts';

const SECRET = 'e2e-secret';
let lab: Lab;
let hub: HubHandle;
let receiver: Server;
const desk = new VendorDesk();
const received: { id: string; type: string; from?: string; to?: string; verified: boolean; at: number }[] = [];

beforeAll(async () => {
  lab = await startLab({ streams: [{ id: 's1', protocols: ['rtmp'] }] });
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const body = JSON.parse(raw.toString('utf8')) as { id: string; type: string; from?: string; to?: string };
      const verified = verifySignature(SECRET, raw.toString('utf8'), req.headers['x-streamguard-timestamp'] as string | undefined, req.headers['x-streamguard-signature'] as string | undefined);
      received.push({ ...body, verified, at: Date.now() });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const port = (receiver.address() as { port: number }).port;
  process.env.E2E_EDGE_SECRET = SECRET;
  const deskPort = await desk.start();
  const line = (name: 'primary' | 'backup') => ({ url: lab.url('s1', name, 'http-flv'), regionUrls: { b: lab.url('s1', name, 'rtmp') } });
  const config = ConfigSchema.parse({
    hub: { listen: '127.0.0.1:0', dataDir: mkdtempSync(join(tmpdir(), 'sg-failover-')) },
    probe: { regions: ['a', 'b'] },
    streams: [{ id: 's1', lines: { primary: line('primary'), backup: line('backup') } }],
    control: {
      default: { holdOff: '4s', minDwell: '1s' },
      actuators: [{ type: 'webhook', name: 'edge', url: `http://127.0.0.1:${port}/switch`, secretEnv: 'E2E_EDGE_SECRET', timeout: '2s', actions: ['switch', 'escalate'] }],
    },
    vendors: [{ name: 'cdn-desk', type: 'desk', url: `http://127.0.0.1:${deskPort}` }],
  });
  hub = await startHub(config);
}, 30_000);

afterAll(async () => {
  await hub?.stop();
  await lab?.stop();
  await new Promise((r) => receiver?.close(r));
  await desk.stop();
});

async function play(): Promise<{ line: string; url: string }> {
  const res = await fetch(`${hub.url}/api/v1/streams/s1/play?format=json`);
  expect(res.status).toBe(200);
  return (await res.json()) as { line: string; url: string };
}

describe('failover against the lab', () => {
  it('kill the primary → backup active within 2 s (webhook once, signed; /play; /metrics); primary back → failback after the hold-off', async () => {
    // Both lines seen healthy first.
    await until('both lines ok', async () => (hub.controller?.health('s1') && Object.keys(hub.controller.health('s1')).length === 2 ? true : undefined), 15_000);
    expect((await play()).line).toBe('primary');

    const kill = await lab.applyFault({ stream: 's1', line: 'primary', kind: 'kill' });
    const switched = await until('the switch to backup', async () => ((await play()).line === 'backup' ? Date.now() : undefined), 5000);
    expect(switched - kill.startedAt).toBeLessThanOrEqual(2000);
    expect((await play()).url).toBe(lab.url('s1', 'backup', 'http-flv'));
    const hook = await until('the webhook', async () => received.find((r) => r.type === 'switch' && r.to === 'backup'), 5000);
    expect(hook).toMatchObject({ from: 'primary', to: 'backup', verified: true });
    expect(hook.at - kill.startedAt).toBeLessThanOrEqual(2000);
    const metrics = await (await fetch(`${hub.url}/metrics`)).text();
    expect(metrics).toContain('streamguard_active_line{stream="s1",line="backup"} 1');
    expect(metrics).toMatch(/streamguard_failovers_total\{stream="s1",from="primary",to="backup",reason="failover"\} 1/);
    expect(metrics).toMatch(/streamguard_action_delay_seconds_count 1/);
    // One vendor ticket for the incident, carrying what the controller did.
    const incident = hub.hub.incidents.open().find((i) => i.key === 's1/primary/down')!;
    const ticket = await until('the desk ticket', async () => desk.tickets.find((t) => t.externalId === incident.id), 10_000);
    expect(desk.tickets.filter((t) => t.externalId === incident.id)).toHaveLength(1);
    expect(ticket.priority).toBe('high'); // P1
    await until('the failover in the ticket', async () => (JSON.stringify(ticket).includes('backup') ? true : undefined), 10_000);

    // Primary back: failback only after it has been healthy for the hold-off (4 s).
    const start = await lab.applyFault({ stream: 's1', line: 'primary', kind: 'start' });
    const back = await until('the failback', async () => ((await play()).line === 'primary' ? Date.now() : undefined), 20_000);
    expect(back - start.startedAt).toBeGreaterThanOrEqual(4000);
    // /play changes at once; the webhook actuator runs in the background after it.
    await until('the failback webhook', async () => received.filter((r) => r.type === 'switch').length >= 2 || undefined, 10_000);
    expect(received.filter((r) => r.type === 'switch').map((r) => `${r.from}>${r.to}`)).toEqual(['primary>backup', 'backup>primary']);
    // Exactly once per action id (idempotency key).
    expect(new Set(received.map((r) => r.id)).size).toBe(received.length);
    // The ticket follows the incident to its resolution, still one ticket.
    await until('the ticket solved', async () => (ticket.status === 'solved' ? true : undefined), 20_000);
    expect(desk.tickets.filter((t) => t.externalId === incident.id)).toHaveLength(1);
  }, 60_000);

  it('both lines down → no switch to a down line; the stream stays on its line and P0 is escalated', async () => {
    await until('primary active', async () => ((await play()).line === 'primary' ? true : undefined), 10_000);
    const switchesBefore = received.filter((r) => r.type === 'switch').length;
    await lab.applyFault({ stream: 's1', line: 'backup', kind: 'kill' });
    // The backup is known down before the primary fails too (else it is still a valid target).
    await until('the backup down', async () => (hub.hub.incidents.open().some((i) => i.key === 's1/backup/down') ? true : undefined), 5000);
    await lab.applyFault({ stream: 's1', line: 'primary', kind: 'kill' });
    const escalation = await until('a P0 escalation', async () => received.find((r) => r.type === 'escalate' && JSON.stringify(r).includes('P0')), 10_000);
    expect(escalation).toBeDefined();
    expect((await play()).line).toBe('primary');
    // The whole-stream outage is one P0 ticket at the vendor desk (urgent): the controller's P0
    // escalation and the detector's P0 raise the same lead incident (the line whose incident
    // opened first: here the backup's), never one each.
    const p0 = await until('a P0 incident', async () => hub.hub.incidents.open().find((i) => i.stream === 's1' && i.severity === 'P0'), 10_000);
    expect(p0.key).toBe('s1/backup/down');
    await until('an urgent desk ticket', async () => desk.tickets.find((t) => t.externalId === p0.id && t.priority === 'urgent'), 10_000);
    await until('the escalation on the ticket', async () => (desk.tickets.find((t) => t.externalId === p0.id)!.comments.some((c) => c.includes('no-healthy-line')) ? true : undefined), 10_000);
    await new Promise((r) => setTimeout(r, 2000)); // a second P0 would have been enqueued by now
    expect(hub.hub.incidents.open().filter((i) => i.stream === 's1' && i.severity === 'P0')).toHaveLength(1);
    expect(desk.tickets.filter((t) => t.priority === 'urgent')).toHaveLength(1);
    expect(desk.tickets.filter((t) => t.externalId === p0.id)).toHaveLength(1);
    expect(received.filter((r) => r.type === 'switch').length).toBe(switchesBefore);
  }, 30_000);
});

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startProbeWorker, type ProbeWorker } from '../../probes/uplink/worker.ts';
import { openStore } from '../../src/app/open-store.ts';
import { startHub, type HubHandle } from '../../src/app/start.ts';
import { log } from '../../src/common/log.ts';
import { parseConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { FaultProxy } from '../../src/lab/fault-proxy.ts';
import type { Store } from '../../src/store/ports.ts';
import { natsMissing, startNats } from '../helpers/nats.ts';
import { until } from '../helpers/until.ts';

/**
 * A probe given two hubs (`probe --hub A,B`): two real hubs (startHub, each its own SQLite store,
 * kept open by the test so the stopped hub's samples can still be read), a real probe worker
 * probing a line (a refused RTMP URL: one sample per 500 ms window). Hub A is stopped; the probe
 * must go to hub B, keep probing on its assignment, and lose no sample: the seqs stored by A and
 * B together are contiguous (a sample stored by A whose ack was lost with A is stored by B too).
 */

process.env.SG_TEST_TOKEN_FAILOVER = 'failover-token-0123456789';
const TOKEN = process.env.SG_TEST_TOKEN_FAILOVER;

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function config(natsUrl?: string): Config {
  const text = [
    'hub: { listen: "127.0.0.1:0" }',
    'probe: { embedded: false, windowMs: 500 }',
    'regions: [eu]',
    'uplink:',
    '  probes:',
    '    - { id: probe-eu, region: eu, tokenEnv: SG_TEST_TOKEN_FAILOVER }',
    ...(natsUrl ? [`  nats: { url: "${natsUrl}", ackWaitMs: 1000 }`] : []),
    'streams:',
    '  - id: s1',
    '    lines:',
    '      primary: { url: "rtmp://127.0.0.1:1/live/s1" }',
    '',
  ].join('\n');
  const { config: c, errors } = parseConfig(text);
  if (!c) throw new Error(JSON.stringify(errors));
  return c;
}

/** A hub on its own SQLite store, which stays readable after the hub stopped. */
async function hub(c: Config): Promise<{ handle: HubHandle; store: Store; ws: string }> {
  const opened = await openStore(c, { dataDir: mkdtempSync(join(tmpdir(), 'sg-failover-hub-')), env: process.env, logger: log });
  cleanups.push(() => opened.store.close());
  const handle = await startHub(c, { probes: false, store: opened.store });
  cleanups.push(() => handle.stop());
  return { handle, store: opened.store, ws: `${handle.url!.replace(/^http/, 'ws')}/probes` };
}

function worker(hubs: string[], natsUrl?: string): ProbeWorker {
  const w = startProbeWorker({ hub: hubs, region: 'eu', token: TOKEN, ...(natsUrl && { nats: { url: natsUrl } }) });
  cleanups.push(() => w.stop(0));
  return w;
}

async function storedSeqs(store: Store): Promise<number[]> {
  return (await store.samples.samples({ stream: 's1', from: 0, to: Date.now() + 60_000 })).map((s) => s.seq);
}

/** Every seq from the lowest to the highest stored by either hub, none missing. */
function expectContiguous(a: number[], b: number[]): void {
  const all = [...new Set([...a, ...b])].sort((x, y) => x - y);
  expect(all.length).toBeGreaterThan(0);
  expect(all).toEqual(Array.from({ length: all.at(-1)! - all[0]! + 1 }, (_, i) => all[0]! + i));
}

describe('a probe with several hubs', () => {
  it('hub A stopped: the probe is on hub B within seconds, on its assignment, and no sample is lost', async () => {
    const a = await hub(config());
    const b = await hub(config());
    const w = worker([a.ws, b.ws]);
    await until('samples stored by hub A', async () => (await a.handle.hub.flush(), (await storedSeqs(a.store)).length >= 3), 20_000);
    expect(w.client.hub).toBe(a.ws);
    const assignment = w.assignment;

    await a.handle.stop();
    const stoppedAt = Date.now();
    await until('the probe connected to hub B', () => w.client.connected && w.client.hub === b.ws, 15_000, 20);
    expect(Date.now() - stoppedAt).toBeLessThan(5_000);
    expect(w.assignment?.targets).toEqual(assignment?.targets);
    const onA = await storedSeqs(a.store);
    await until('newer samples stored by hub B', async () => (await b.handle.hub.flush(), (await storedSeqs(b.store)).filter((s) => s > Math.max(...onA)).length >= 3), 20_000);

    await w.stop(5_000);
    expect(w.buffer.size).toBe(0);
    await b.handle.hub.flush();
    expectContiguous(onA, await storedSeqs(b.store));
  });

  it.skipIf(natsMissing !== undefined)('over NATS the samples keep flowing to the hubs while the probe has no hub at all, and it comes back to hub B', async () => {
    const nats = await startNats();
    cleanups.push(() => nats.stop());
    const a = await hub(config(nats.url));
    const b = await hub(config(nats.url));
    // Hub B behind a proxy that refuses connections at first: the probe has no hub for a while.
    const proxy = new FaultProxy(Number(new URL(b.handle.url!).port));
    await proxy.start();
    cleanups.push(() => proxy.close());
    await proxy.setMode({ mode: 'refuse' });
    const viaProxy = `ws://127.0.0.1:${proxy.port}/probes`;
    const w = worker([a.ws, viaProxy], nats.url);
    await until('connected to hub A', () => w.client.connected && w.client.hub === a.ws, 20_000);
    const bothStored = async () => {
      await Promise.all([a.handle.hub.flush(), b.handle.hub.flush()]);
      return [...(await storedSeqs(a.store)), ...(await storedSeqs(b.store))];
    };
    await until('samples stored over NATS', async () => (await bothStored()).length >= 3, 20_000);

    await a.handle.stop();
    const onA = await storedSeqs(a.store);
    await until('newer samples stored by hub B over NATS', async () => (await b.handle.hub.flush(), (await storedSeqs(b.store)).filter((s) => s > Math.max(...onA)).length >= 3), 20_000);
    expect(w.client.connected).toBe(false);

    await proxy.setMode({ mode: 'pass' });
    await until('the probe connected to hub B', () => w.client.connected && w.client.hub === viaProxy, 20_000, 20);
    await w.stop(5_000);
    expect(w.buffer.size).toBe(0);
    const last = w.buffer.nextSeq() - 1;
    await until('the last sample stored by hub B', async () => (await b.handle.hub.flush(), (await storedSeqs(b.store)).includes(last)), 10_000);
    expectContiguous(onA, await storedSeqs(b.store));
  });
});

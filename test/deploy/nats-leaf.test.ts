import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UplinkBuffer } from '../../probes/uplink/buffer.ts';
import { NatsSamplePublisher } from '../../probes/uplink/nats-publisher.ts';
import { freePort } from '../../src/lab/ports.ts';
import type { Sample } from '../../src/model/sample.ts';
import { SAMPLE_STREAM } from '../../src/model/shard.ts';
import { ensureSampleStream } from '../../src/uplink/sample-stream.ts';
import { gone } from '../helpers/gone.ts';
import { until } from '../helpers/until.ts';
import { deployText } from './deploy-files.ts';
import { NatsUplinkSchema } from '../../src/config/schema.ts';

/**
 * The shipped NATS configs, run: deploy/nats/hub.conf (the hubs' JetStream) and deploy/nats/leaf.conf
 * (a region's leaf node), with their ports, store dir and remote moved to free loopback ports.
 * A probe's publisher pointed at the leaf gets its samples stored by the hubs' JetStream; across
 * a cut of the link it keeps them and they land once the link is back.
 */

const missing = spawnSync('sh', ['-c', 'command -v nats-server']).status === 0 ? undefined : 'nats-server not on PATH';

/** `text` with each pattern replaced; fails naming a pattern the shipped file no longer has. */
function rewrite(file: string, replacements: [RegExp, string][]): string {
  let text = deployText(file);
  for (const [pattern, replacement] of replacements) {
    if (!pattern.test(text)) throw new Error(`deploy/${file} has no ${pattern}: update this test with it`);
    text = text.replace(pattern, replacement);
  }
  return text;
}

interface Server {
  readonly url: string;
  start(): Promise<void>;
  kill(): Promise<void>;
}

function server(dir: string, name: string, conf: string, clientPort: number): Server {
  const file = join(dir, `${name}.conf`);
  writeFileSync(file, conf);
  let child: ChildProcess | undefined;
  return {
    url: `nats://127.0.0.1:${clientPort}`,
    async start() {
      let output = '';
      const c = spawn('nats-server', ['-c', file], { stdio: ['ignore', 'ignore', 'pipe'] });
      c.stderr!.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
      child = c;
      await until(`${name} nats-server to be ready`, () => {
        if (c.exitCode !== null) throw new Error(`${name} nats-server exited ${c.exitCode}: ${output}`);
        return output.includes('Server is ready');
      }, 15_000);
    },
    async kill() {
      const c = child;
      child = undefined;
      if (!c?.pid) return;
      c.kill('SIGKILL');
      await until(`${name} nats-server PID ${c.pid} to exit`, () => gone(c.pid!), 10_000);
    },
  };
}

function sample(seq: number): Sample {
  return { probe: 'probe-sg', region: 'sg', stream: `s${seq % 7}`, line: 'primary', seq, t: Date.now(), windowMs: 1000, connected: true, fps: 25, bitrateBps: 1e6, maxGapMs: 40, stallMs: 0, freezeMs: 0 };
}

describe.skipIf(missing !== undefined)(`deploy/nats: a regional leaf node${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let dir: string;
  let hubNats: Server;
  let leaf: Server;
  let admin: NatsConnection | undefined;
  let publisher: NatsSamplePublisher | undefined;
  const buffer = new UplinkBuffer({ seqStart: 1 });

  /** The seqs of every sample the hubs' JetStream holds, in stream order (a message carries a batch of samples). */
  const storedSeqs = async (): Promise<number[]> => {
    const count = (await (await jetstreamManager(admin!)).streams.info(SAMPLE_STREAM)).state.messages;
    const consumer = await jetstream(admin!).consumers.get(SAMPLE_STREAM);
    const seqs: number[] = [];
    for (let read = 0; read < count; read++) {
      const m = await consumer.next({ expires: 5000 });
      if (!m) throw new Error(`only ${read} of ${count} messages read back`);
      seqs.push(...(m.json() as { seq: number }[]).map((x) => x.seq));
    }
    return seqs;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sg-deploy-nats-'));
    const [client, monitor, leafnodes, leafClient, leafMonitor] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
    hubNats = server(dir, 'hub', rewrite('nats/hub.conf', [
      [/^port: 4222$/m, `listen: "127.0.0.1:${client}"`],
      [/^http_port: 8222/m, `http: "127.0.0.1:${monitor}"`],
      [/store_dir: \/data/, `store_dir: "${join(dir, 'jetstream')}"`],
      [/^ {2}port: 7422$/m, `  listen: "127.0.0.1:${leafnodes}"`],
    ]), client);
    leaf = server(dir, 'leaf', rewrite('nats/leaf.conf', [
      [/^port: 4222$/m, `listen: "127.0.0.1:${leafClient}"`],
      [/^http_port: 8222/m, `http: "127.0.0.1:${leafMonitor}"`],
      [/nats-leaf:\/\/nats:7422/, `nats-leaf://127.0.0.1:${leafnodes}`],
    ]), leafClient);
    await hubNats.start();
    await leaf.start();
    admin = await connect({ servers: hubNats.url, maxReconnectAttempts: -1, reconnectTimeWait: 200 });
    await ensureSampleStream(await jetstreamManager(admin), NatsUplinkSchema.parse({ url: hubNats.url }).stream);
    publisher = new NatsSamplePublisher({ url: leaf.url, buffer, shardCount: 64, publishTimeoutMs: 1000 }).start();
  });

  afterAll(async () => {
    await publisher?.stop();
    await admin?.close();
    await leaf?.kill();
    await hubNats?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a probe publishing to the leaf has its samples stored by the hubs' JetStream", async () => {
    for (let seq = 1; seq <= 10; seq++) publisher!.enqueue(sample(seq));
    await until('the PubAcks of all 10 samples', () => buffer.size === 0, 20_000);
    expect((await storedSeqs()).sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
  });

  it('across a cut of the link the probe keeps its samples, and they land once, when the link is back', async () => {
    await hubNats.kill();
    const failedBefore = publisher!.stats.failedPublishes;
    for (let seq = 11; seq <= 15; seq++) publisher!.enqueue(sample(seq));
    await until('a publish to fail during the cut', () => publisher!.stats.failedPublishes > failedBefore, 20_000);
    expect(buffer.size).toBe(5);
    await hubNats.start();
    await until('the kept samples stored once the link is back', () => buffer.size === 0, 30_000);
    expect((await storedSeqs()).sort((a, b) => a - b)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
  });
});

/**
 * The NATS path's throughput and latency: one nats-server (JetStream, file store in a temp dir),
 * one hub core (startHub: SQLite store, detector) consuming all 64 shards through NatsUplink, and
 * one simulated probe publishing through NatsSamplePublisher with its UplinkBuffer — the code a
 * `probe --nats` runs — S streams, each one sample per window, at `rate` windows per second.
 *
 *   npx tsx bench/nats-uplink.ts [streams=1000] [seconds=15] [rate=5] [inflight=2000]
 *
 * `inflight`: the publisher's window, maxInFlight (at most this many samples from the oldest not yet
 * stored by JetStream to the newest published).
 *
 * Hub and probe share this process (and its one event loop): the figures are a floor for a
 * dedicated hub core. Figures: samples/s applied by the hub (ingested, fed to the detector, then
 * acked after the durable write), the process's CPU over the measured interval, and the latency
 * from the probe's enqueue to the hub applying the sample, p50/p99/max. The first 3 s are warm-up.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UplinkBuffer } from '../probes/uplink/buffer.ts';
import { NatsSamplePublisher } from '../probes/uplink/nats-publisher.ts';
import { startHub } from '../src/app/start.ts';
import { loadConfig } from '../src/config/load.ts';
import { NatsUplinkSchema } from '../src/config/schema.ts';
import type { Sample } from '../src/model/sample.ts';
import { DEFAULT_SHARD_COUNT } from '../src/model/shard.ts';
import { NatsUplink } from '../src/uplink/nats-consumer.ts';
import { startNats } from '../test/helpers/nats.ts';
import { writeBenchHubConfig } from './helpers/hub-config.ts';

const STREAMS = Number(process.argv[2] ?? 1000);
const SECONDS = Number(process.argv[3] ?? 15);
const RATE = Number(process.argv[4] ?? 5);
const IN_FLIGHT = Number(process.argv[5] ?? 2000);
const WARMUP_MS = 3000;

const dir = mkdtempSync(join(tmpdir(), 'sg-bench-nats-'));
const nats = await startNats();
const { file, tokenEnv } = writeBenchHubConfig(dir, 1, STREAMS);
Object.assign(process.env, tokenEnv);
const config = loadConfig(file);
config.uplink.nats = NatsUplinkSchema.parse({ url: nats.url, shardCount: DEFAULT_SHARD_COUNT });
const hub = await startHub({ ...config, uplink: { ...config.uplink, nats: undefined } }, { probes: false });

const enqueuedAt = new Map<number, number>();
const latencies: number[] = [];
let applied = 0;
let measuring = false;
const uplink = new NatsUplink({
  hub: {
    clock: Date.now,
    heartbeat: (p, r, i) => hub.hub.heartbeat(p, r, i),
    ingest: (s, o) => {
      const r = hub.ingest(s, o);
      const at = enqueuedAt.get((s as Sample).seq);
      enqueuedAt.delete((s as Sample).seq);
      if (r.ok && measuring) {
        applied++;
        if (at !== undefined) latencies.push(performance.now() - at);
      }
      return r;
    },
    flush: () => hub.hub.flush(),
  },
  config,
});
await uplink.start();
for (let shard = 0; shard < DEFAULT_SHARD_COUNT; shard++) await uplink.own(shard);

const buffer = new UplinkBuffer({ seqStart: 1 });
const publisher = new NatsSamplePublisher({ url: nats.url, buffer, maxInFlight: IN_FLIGHT }).start();
const started = performance.now();
let next = 0;
// Paced by the clock, not by the timer: a late tick makes up what is due.
const tick = setInterval(() => {
  const due = Math.floor(((performance.now() - started) / 1000) * STREAMS * RATE);
  while (next < due) {
    const stream = `s${next++ % STREAMS}`;
    const s: Sample = { probe: 'p-r0', region: 'r0', stream, line: 'primary', seq: 0, t: Date.now(), windowMs: 1000, connected: true, fps: 25, bitrateBps: 2e6, maxGapMs: 40, stallMs: 0, freezeMs: 0 };
    publisher.enqueue(s);
    enqueuedAt.set(s.seq, performance.now());
  }
}, 10);

await new Promise((r) => setTimeout(r, WARMUP_MS));
measuring = true;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
await new Promise((r) => setTimeout(r, SECONDS * 1000));
measuring = false;
const elapsedS = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
clearInterval(tick);

latencies.sort((a, b) => a - b);
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]?.toFixed(1) ?? '-';
process.stdout.write(
  [
    `offered ${STREAMS * RATE} samples/s (${STREAMS} streams × ${RATE}/s) for ${SECONDS} s, publisher maxInFlight ${IN_FLIGHT}`,
    `applied ${(applied / elapsedS).toFixed(0)} samples/s; process CPU ${(((cpu.user + cpu.system) / 1e6 / elapsedS) * 100).toFixed(0)} % of one core`,
    `enqueue → applied latency p50 ${pct(50)} ms, p99 ${pct(99)} ms, max ${latencies.at(-1)?.toFixed(1) ?? '-'} ms`,
    `probe: ${next} produced, ${publisher.stats.published} published, ${publisher.stats.failedPublishes} failed publishes; hub: ${uplink.stats.acks} acked, ${uplink.stats.samplesDuplicate} duplicates`,
    '',
  ].join('\n'),
);
await publisher.stop();
await uplink.stop();
await hub.stop();
await nats.stop();
rmSync(dir, { recursive: true, force: true });

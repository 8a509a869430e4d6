import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { log as rootLog, type Logger } from '../../src/common/log.ts';
import type { Sample } from '../../src/model/sample.ts';
import type { Assignment } from '../../src/model/probe-protocol.ts';
import type { z } from 'zod';
import { DEFAULT_PROBE_HEALTH, ProbeHealthThresholdsSchema, type ProbeHealthThresholds } from '../../src/model/probe-health.ts';
import { ContentThresholdsSchema, DEFAULT_CONTENT_THRESHOLDS, type ContentThresholds } from '../../src/model/content-thresholds.ts';
import { decodeSetting } from '../decode/decoder.ts';
import { LineSet } from '../line-set.ts';
import { UplinkBuffer } from './buffer.ts';
import { UplinkClient } from './client.ts';
import { NatsSamplePublisher } from './nats-publisher.ts';

/**
 * A remote probe worker (`streamguard probe --hub ws://HUB/probes --region R`): connects out to
 * the hub, probes what the hub assigns (one prober per stream × line, started, stopped or
 * restarted as the assignment changes) and streams the Samples back through the uplink, which
 * buffers them while the hub is unreachable. Probing goes on while disconnected; with a spill dir
 * the last assignment is kept there too, so a probe restarted during a hub outage resumes probing
 * (and buffering) at once instead of waiting for the hub. Given several hubs (a cluster), it moves
 * to the next when its hub is gone, keeping its buffer and its assignment (UplinkClient); over NATS
 * its samples do not pass through the hub and keep flowing meanwhile.
 */

const ASSIGNMENT_FILE = 'assignment.json';

export interface ProbeWorkerOptions {
  /** The hub's ws[s]://HUB/probes; several: the hubs of a cluster, the next taken when the connected one is gone. */
  hub: string | readonly string[];
  region: string;
  token: string;
  ca?: string | Buffer;
  spillDir?: string;
  /** Unacked samples kept in memory (default 100,000 ≈ 28 min of 60 lines). */
  bufferSize?: number;
  maxSpillBytes?: number;
  /**
   * Publish the samples to NATS JetStream (the hubs' shard owners consume them) instead of
   * sending them over the hub's WebSocket, which then only carries the assignment, heartbeats
   * and the clock. `shardCount` must equal the hubs' `uplink.nats.shardCount`.
   */
  nats?: { url: string; shardCount?: number };
  logger?: Logger;
  /**
   * Testing aid: pretend the local clock is off by this much (sample times and heartbeats), to
   * show the offset estimated from heartbeats puts samples back on the hub's clock.
   */
  clockSkewMs?: number;
}

export interface ProbeWorker {
  client: UplinkClient;
  /** The samples not yet acked by the hub (WebSocket) or stored by JetStream (NATS). */
  buffer: UplinkBuffer;
  /** Set when the samples go over NATS. */
  nats: NatsSamplePublisher | undefined;
  /** Current assignment (undefined before the first). */
  readonly assignment: Assignment | undefined;
  /** Resolves when the hub refused the probe for good (bad token, wrong region, version). */
  refused: Promise<{ code: number; reason: string }>;
  /** Stops probing, waits up to `drainMs` for the last acks, spills the rest (if a spill dir), closes. */
  stop(drainMs?: number): Promise<void>;
}

export function startProbeWorker(opts: ProbeWorkerOptions): ProbeWorker {
  const logger = opts.logger ?? rootLog.child({ component: 'probe-worker', region: opts.region });
  const skew = opts.clockSkewMs ?? 0;
  const buffer = new UplinkBuffer({
    ...(opts.bufferSize !== undefined && { maxInMemory: opts.bufferSize }),
    ...(opts.spillDir !== undefined && { spillDir: opts.spillDir }),
    ...(opts.maxSpillBytes !== undefined && { maxSpillBytes: opts.maxSpillBytes }),
    logger,
  });
  let lines: LineSet | undefined;
  /** Line sets of a former probe id, until their lines have stopped. */
  const retired = new Set<Promise<void>>();
  let assignment: Assignment | undefined;
  let onRefused: (r: { code: number; reason: string }) => void = () => undefined;
  const refused = new Promise<{ code: number; reason: string }>((resolve) => (onRefused = resolve));

  const nats = opts.nats && new NatsSamplePublisher({ url: opts.nats.url, buffer, ...(opts.nats.shardCount !== undefined && { shardCount: opts.nats.shardCount }), logger }).start();
  const onSample = (s: Sample) => {
    if (skew !== 0) s.t += skew;
    if (!nats) return client.enqueue(s);
    client.onHubClock(s);
    nats.enqueue(s);
  };

  /** The hub's health thresholds; the defaults from an older hub (it sends none) or when they are invalid (logged). */
  /** Thresholds the hub sent (absent from an older hub), or the defaults when absent or invalid. */
  const thresholdsFrom = <T>(field: 'health' | 'contentThresholds', schema: z.ZodType<T>, value: unknown, defaults: T): T => {
    if (value === undefined) return defaults;
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    logger.warn({ problems: parsed.error.issues.map((i) => `${field}.${i.path.join('.')}: ${i.message}`) }, `the hub's ${field === 'health' ? 'health' : 'content'} thresholds are invalid; using the defaults`);
    return defaults;
  };
  const healthOf = (next: Assignment): ProbeHealthThresholds => thresholdsFrom('health', ProbeHealthThresholdsSchema, next.health, DEFAULT_PROBE_HEALTH);
  const contentThresholdsOf = (next: Assignment): ContentThresholds =>
    thresholdsFrom('contentThresholds', ContentThresholdsSchema, next.contentThresholds, DEFAULT_CONTENT_THRESHOLDS);

  const apply = (next: Assignment, probe: string) => {
    if (lines && lines.probe !== probe) {
      const old = lines.stop().finally(() => retired.delete(old));
      retired.add(old);
      lines = undefined;
    }
    lines ??= new LineSet({ probe, region: opts.region, onSample });
    lines.setHealth(healthOf(next));
    const plan = lines.plan(next.targets.map((t) => ({ stream: t.stream, line: t.line, url: t.url, windowMs: next.windowMs, decode: decodeSetting(t.decode ?? next.decode, t.content ?? next.content ?? 'off', contentThresholdsOf(next)) })));
    lines.apply(plan);
    const started = plan.start.length;
    const stopped = plan.stop.length;
    const first = assignment === undefined;
    assignment = next;
    if (opts.spillDir) {
      try {
        writeFileSync(join(opts.spillDir, ASSIGNMENT_FILE), JSON.stringify({ probe, region: opts.region, assignment: next }));
      } catch (err) {
        logger.warn({ err }, 'cannot keep the assignment in the spill dir');
      }
    }
    logger.info({ version: next.version, lines: lines.size, started, stopped }, first ? 'assignment received' : 'reassigned by the hub');
  };

  const client = new UplinkClient({
    url: opts.hub,
    token: opts.token,
    region: opts.region,
    // Over NATS the WebSocket carries no samples: its buffer stays empty.
    buffer: nats ? new UplinkBuffer({ logger }) : buffer,
    agent: `streamguard-probe@${hostname()}`,
    logger,
    ...(opts.ca !== undefined && { ca: opts.ca }),
    ...(skew !== 0 && { clock: () => Date.now() + skew }),
    onAssign: apply,
    onFatal: (code, reason) => onRefused({ code, reason }),
  }).start();

  // A kept assignment (same region) starts probing before the hub is reached.
  const kept = opts.spillDir ? join(opts.spillDir, ASSIGNMENT_FILE) : undefined;
  if (kept && existsSync(kept)) {
    try {
      const k = JSON.parse(readFileSync(kept, 'utf8')) as { probe: string; region: string; assignment: Assignment };
      if (k.region === opts.region && assignment === undefined) {
        logger.info({ version: k.assignment.version, lines: k.assignment.targets.length }, 'resuming the last assignment from the spill dir until the hub answers');
        apply(k.assignment, k.probe);
      }
    } catch (err) {
      logger.warn({ err, file: kept }, 'ignoring an unreadable kept assignment');
    }
  }

  let stopped: Promise<void> | undefined;
  return {
    client,
    buffer,
    nats,
    get assignment() {
      return assignment;
    },
    refused,
    stop: (drainMs = 2000) =>
      (stopped ??= (async () => {
        await Promise.all([lines?.stop(), ...retired]);
        if (nats) {
          if (nats.connected) await nats.drain(drainMs);
          await nats.stop();
        } else if (client.connected) await client.drain(drainMs);
        client.stop();
        const left = buffer.size;
        if (left > 0) {
          if (buffer.persist()) logger.info({ samples: left, spillDir: opts.spillDir }, 'unacked samples written to the spill dir; sent at next start');
          else logger.warn({ samples: left }, 'stopping with unacked samples and no spill dir: they are lost');
        }
      })()),
  };
}

/**
 * The probe uplink protocol (docs/probe-protocol.md): JSON text frames over one WebSocket per
 * probe, opened by the probe (outbound only) to `ws[s]://HUB/probes` with
 * `Authorization: Bearer <token>`. Shared by the hub (src/uplink/server.ts) and the probe worker
 * (probes/uplink/).
 *
 *   probe                                   hub
 *   hello {region, agent, oldestUnacked?} ─▶
 *                                       ◀─ welcome {probe, region, heartbeatMs, lastSeq, hubTime}
 *                                       ◀─ assign {version, windowMs, decode, content, contentThresholds, targets, health}   (again on reload)
 *   samples {samples:[Sample…]}          ─▶
 *                                       ◀─ ack {seq, rejected?}          (cumulative, after a durable write)
 *   ping {id, t0}                        ─▶ (probe heartbeat; hub feeds the detector)
 *                                       ◀─ pong {id, t0, t1, t2}         (NTP-style clock offset)
 *                                       ◀─ ping {id, t0}                  (hub heartbeat)
 *   pong {id, t0, t1, t2}                ─▶
 *                                       ◀─ error {code, message}          (message refused; connection kept)
 */
import { z } from 'zod';
import type { ProbeHealthThresholds } from './probe-health.ts';
import type { Sample } from './sample.ts';
import type { ContentMode } from './stream.ts';
import type { ContentThresholds } from './content-thresholds.ts';

export const PROTOCOL_VERSION = 1;
export const UPLINK_PATH = '/probes';

/** WebSocket close codes the hub uses (4xxx = application). */
export const CLOSE = {
  normal: 1000,
  goingAway: 1001,
  policy: 1008,
  tooBig: 1009,
  unauthorized: 4401,
  forbidden: 4403,
  helloTimeout: 4408,
  replaced: 4409,
  heartbeatTimeout: 4410,
  badVersion: 4426,
} as const;

/** Close codes after which a probe must not reconnect with the same settings. */
export const FATAL_CLOSE_CODES: ReadonlySet<number> = new Set([CLOSE.unauthorized, CLOSE.forbidden, CLOSE.badVersion]);

export const Defaults = {
  heartbeatMs: 1000,
  /** Silent for this many heartbeats → the other side is gone (terminate, reconnect). */
  deadAfterBeats: 3,
  maxMessageBytes: 1024 * 1024,
  /** Samples per `samples` message at most (the hub refuses more). */
  maxBatch: 1000,
  helloTimeoutMs: 5000,
  /** Malformed messages tolerated per connection before it is closed (policy). */
  maxBadMessages: 20,
} as const;

export interface UplinkTarget {
  stream: string;
  line: string;
  url: string;
  decode?: boolean;
  content?: ContentMode;
}

export interface Assignment {
  /** Increases on every change the hub pushes. */
  version: number;
  windowMs: number;
  decode: boolean;
  /** Content checks of targets without their own; absent from older hubs: off. */
  content?: ContentMode;
  /** When content checks call a picture black or the sound silent (config `probe.contentThresholds`); absent from older hubs: the defaults. */
  contentThresholds?: ContentThresholds;
  targets: UplinkTarget[];
  /** When the probe marks a window impaired (config `probe.health`); absent from older hubs: the defaults. */
  health?: ProbeHealthThresholds;
}

// ---- probe → hub

export const HelloSchema = z.strictObject({
  type: z.literal('hello'),
  v: z.number().int(),
  region: z.string().min(1).max(63),
  agent: z.string().max(200).optional(),
  /** Oldest seq the probe still holds unacked (informational: what it is about to resend). */
  oldestUnacked: z.number().int().nonnegative().optional(),
});

export const SamplesMessageSchema = z.strictObject({
  type: z.literal('samples'),
  /** Each element is validated by the hub's ingest, one by one (a bad one does not sink the batch). */
  samples: z.array(z.unknown()).max(Defaults.maxBatch),
});

export const PingSchema = z.strictObject({ type: z.literal('ping'), id: z.number().int(), t0: z.number() });
export const PongSchema = z.strictObject({ type: z.literal('pong'), id: z.number().int(), t0: z.number(), t1: z.number(), t2: z.number() });

export const ProbeMessageSchema = z.discriminatedUnion('type', [HelloSchema, SamplesMessageSchema, PingSchema, PongSchema]);
export type ProbeMessage = z.infer<typeof ProbeMessageSchema>;

// ---- hub → probe

export interface WelcomeMessage {
  type: 'welcome';
  v: number;
  probe: string;
  region: string;
  heartbeatMs: number;
  /** Highest seq of this probe the hub has durably handled since it started, or null. */
  lastSeq: number | null;
  hubTime: number;
  maxBatch: number;
  maxMessageBytes: number;
}
export interface AssignMessage extends Assignment {
  type: 'assign';
}
export interface AckMessage {
  type: 'ack';
  /** Every seq ≤ this is durably stored (or permanently refused, listed in `rejected`). */
  seq: number;
  rejected?: { seq: number; error: string }[];
}
export interface ErrorMessage {
  type: 'error';
  code: 'malformed' | 'oversized' | 'forbidden' | 'backlog' | 'protocol';
  message: string;
  /** For `backlog`: resend the unacked samples after this long. */
  retryAfterMs?: number;
}
export type HubMessage = WelcomeMessage | AssignMessage | AckMessage | ErrorMessage | z.infer<typeof PingSchema> | z.infer<typeof PongSchema>;

/** NTP-style: offset = ((t1 − t0) + (t2 − t3)) / 2 (add it to the local clock to get the remote's), rtt = (t3 − t0) − (t2 − t1). */
export function clockSample(t0: number, t1: number, t2: number, t3: number): { offsetMs: number; rttMs: number } {
  return { offsetMs: (t1 - t0 + (t2 - t3)) / 2, rttMs: Math.max(0, t3 - t0 - (t2 - t1)) };
}

export type { Sample };

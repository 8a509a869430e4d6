import { z } from 'zod';

export const LINES = ['primary', 'backup'] as const;
export type LineName = (typeof LINES)[number];

export const PUBLISH_PROTOCOLS = ['rtmp', 'hls', 'rtsp'] as const;
export type PublishProtocol = (typeof PUBLISH_PROTOCOLS)[number];

/** Protocols a probe plays; all but RTSP go through a fault proxy. */
export const PROXIED_PROTOCOLS = ['rtmp', 'http-flv', 'hls'] as const;
export type ProxiedProtocol = (typeof PROXIED_PROTOCOLS)[number];
export type PlayProtocol = ProxiedProtocol | 'rtsp';

const ms = z.number().int().min(1).max(600_000);
/** Optional auto-clear for faults that otherwise persist until changed or cleared. */
const durationMs = ms.optional();
const target = { stream: z.string().min(1), line: z.enum(LINES) };
const proxied = { ...target, kind: z.literal('proxy'), protocol: z.enum(PROXIED_PROTOCOLS) };

const proxyFault = z.discriminatedUnion('mode', [
  // Jitter: each chunk is held ms ± a uniform draw up to jitterMs (never negative, order kept).
  z
    .object({ ...proxied, mode: z.literal('delay'), ms, jitterMs: z.number().int().min(0).max(600_000).optional(), durationMs })
    .refine((f) => (f.jitterMs ?? 0) <= f.ms, { path: ['jitterMs'], message: 'jitterMs must not exceed ms (a chunk cannot be held for a negative time)' }),
  z.object({ ...proxied, mode: z.literal('throttle'), bytesPerSecond: z.number().int().min(1), durationMs }),
  z.object({ ...proxied, mode: z.literal('stall'), ms }),
  z.object({ ...proxied, mode: z.literal('blackhole'), durationMs }),
  z.object({ ...proxied, mode: z.literal('refuse'), durationMs }),
  z.object({ ...proxied, mode: z.literal('garbage'), durationMs }),
  z.object({ ...proxied, mode: z.literal('clear') }),
]);

export const faultSchema = z.discriminatedUnion('kind', [
  z.object({ ...target, kind: z.literal('kill') }),
  z.object({ ...target, kind: z.literal('start') }),
  z.object({ ...target, kind: z.literal('pause'), ms }),
  z.object({ ...target, kind: z.literal('freeze'), ms }),
  // BT.1359 sign: + audio leads the picture, − audio lags. 0 puts the beep back on the flash.
  z.object({ ...target, kind: z.literal('avShift'), ms: z.number().int().min(-900).max(900) }),
  // Frame rate changes restart the publisher (the graph's rates are fixed at start).
  z.object({ ...target, kind: z.literal('fps'), fps: z.number().int().min(1).max(25), durationMs }),
  // What the picture and sound show, changed in the running publisher (no reconnect): a black
  // picture with the sound going on, muted sound with the picture going on, the sound +20 dB.
  z.object({ ...target, kind: z.literal('black'), durationMs }),
  z.object({ ...target, kind: z.literal('silence'), durationMs }),
  z.object({ ...target, kind: z.literal('loud'), durationMs }),
  // Encoding collapses restart the publisher like `fps`: 320x180, or the video capped at kbps (default 150).
  z.object({ ...target, kind: z.literal('lowres'), durationMs }),
  z.object({ ...target, kind: z.literal('lowbitrate'), kbps: z.number().int().min(50).max(1000).optional(), durationMs }),
  // Serve the HLS playlist as it was `ms` ago (0 = live): latency without touching the stream.
  z.object({ ...target, kind: z.literal('hlsDelay'), ms: z.number().int().min(0).max(25_000), durationMs }),
  proxyFault,
]);

export type Fault = z.infer<typeof faultSchema>;
export type ProxyFault = z.infer<typeof proxyFault>;

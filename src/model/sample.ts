import { z } from 'zod';

/** Classified reasons a probe could not see healthy media. Never free text in metric labels. */
export const ProbeErrorSchema = z.enum([
  'refused', // TCP connection refused
  'timeout', // connected or connecting, but no media within the timeout
  'not-found', // 404 / stream not published / unknown path
  'unreachable', // DNS failure, no route
  'decode', // bytes arrived but are not a valid stream (garbage)
  'eof', // the server closed the stream
  'no-video', // the stream carries no video track
  'protocol', // unsupported or broken protocol exchange
  'unknown',
]);
export type ProbeError = z.infer<typeof ProbeErrorSchema>;

/** One window of measurements for one (probe, stream, line). See docs/architecture.md "Sample". */
export const SampleSchema = z.object({
  probe: z.string().min(1),
  region: z.string().min(1),
  stream: z.string().min(1),
  line: z.string().min(1),
  seq: z.number().int().nonnegative(),
  t: z.number().int().nonnegative(),
  windowMs: z.number().int().positive(),
  connected: z.boolean(),
  startupMs: z.number().nonnegative().optional(),
  latencyMs: z.number().optional(),
  fps: z.number().nonnegative(),
  bitrateBps: z.number().nonnegative(),
  width: z.number().int().positive().optional(),
  height: z.number().int().positive().optional(),
  maxGapMs: z.number().nonnegative(),
  stallMs: z.number().nonnegative(),
  freezeMs: z.number().nonnegative(),
  avSkewMs: z.number().optional(),
  avSyncMs: z.number().optional(),
  error: ProbeErrorSchema.optional(),
});
export type Sample = z.infer<typeof SampleSchema>;

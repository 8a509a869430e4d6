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

/**
 * Why a probe's own measurement of a window cannot be trusted (its host, not the stream): the
 * detector treats such a sample like a blind probe's. Never free text in metric labels.
 */
export const ProbeImpairmentSchema = z.enum([
  'event-loop', // the probe's event loop was blocked: arrivals were timestamped late
  'cpu-pressure', // the host's CPU is oversubscribed (Linux PSI)
  'timer-late', // the probe's timers fired late (starved, throttled)
  'child-late', // its ffprobe/ffmpeg children's output arrived late
  'cpu-use', // the probe process itself uses more CPU than budgeted
  'time-jump', // the process was stopped or frozen (SIGSTOP, GC, VM steal) within the window
]);
export type ProbeImpairment = z.infer<typeof ProbeImpairmentSchema>;

/**
 * A picture unchanged this long (stream time) is frozen: a viewer sees a stuck picture by then.
 * Probes count a frozen run into `freezeMs` only from this length on (then the whole run, from
 * its first frame) and send their window the moment a run reaches it, so the detector knows a
 * `freezeMs` window's freeze began at least this long before the window's end. Content that is
 * still by nature (slides, a test card, a static shot whose encoder skips unchanged blocks) reads
 * as frozen at any hold of seconds: such a line is not decoded (`decode: false`), or the `freeze`
 * rule gets a longer `for` (rules are global).
 */
export const FROZEN_AFTER_MS = 1000;

/**
 * Physical bounds of a sample's values: a probe reporting outside them is broken or hostile, and
 * its numbers would poison the detector (an onset computed from them), the metrics and the history.
 */
export const SAMPLE_LIMITS = {
  /** The latest instant a JS Date can hold. */
  maxT: 8.64e15,
  /** probe.windowMs in the config is at most 60 s. */
  maxWindowMs: 60_000,
  maxFps: 1000,
  /** 10 Gbps. */
  maxBitrateBps: 10e9,
  /** One hour: latency, startup, a gap between frames, A/V offsets (either sign). */
  maxDelayMs: 3_600_000,
  /** stallMs and freezeMs measure time within one window; some slack for a late window end. */
  windowSlack: 2,
  maxDimension: 16_384,
  /** Loudness (LUFS) and true peak (dBTP) below this are silence as far as a meter can tell. */
  minLevelDb: -200,
  /** A true peak far above full scale is a broken meter, not audio. */
  maxLevelDb: 30,
} as const;

const L = SAMPLE_LIMITS;
const delay = z.number().nonnegative().max(L.maxDelayMs);
const offset = z.number().min(-L.maxDelayMs).max(L.maxDelayMs);
const dimension = z.number().int().positive().max(L.maxDimension);
const level = z.number().min(L.minLevelDb).max(L.maxLevelDb);

/** One window of measurements for one (probe, stream, line). See docs/architecture.md "Sample". */
export const SampleSchema = z
  .object({
    probe: z.string().min(1),
    region: z.string().min(1),
    stream: z.string().min(1),
    line: z.string().min(1),
    seq: z.number().int().nonnegative(),
    t: z.number().int().nonnegative().max(L.maxT),
    windowMs: z.number().int().positive().max(L.maxWindowMs),
    connected: z.boolean(),
    startupMs: delay.optional(),
    latencyMs: delay.optional(),
    fps: z.number().nonnegative().max(L.maxFps),
    bitrateBps: z.number().nonnegative().max(L.maxBitrateBps),
    width: dimension.optional(),
    height: dimension.optional(),
    maxGapMs: delay,
    stallMs: z.number().nonnegative(),
    freezeMs: z.number().nonnegative(),
    avSkewMs: offset.optional(),
    avSyncMs: offset.optional(),
    error: ProbeErrorSchema.optional(),
    // Content checks (decoded on a budget; absent when the line's content checks are off).
    blackMs: z.number().nonnegative().optional(), // time in the window showing a near-black picture
    silenceMs: z.number().nonnegative().optional(), // time in the window with audio below the silence level
    loudnessLufs: level.optional(), // EBU R128 short-term loudness at the window's end
    truePeakDbtp: level.optional(), // highest true peak in the window
    impaired: ProbeImpairmentSchema.optional(),
  })
  .superRefine((s, ctx) => {
    const max = s.windowMs * L.windowSlack;
    for (const key of ['stallMs', 'freezeMs', 'blackMs', 'silenceMs'] as const) {
      const v = s[key];
      if (v !== undefined && v > max) ctx.addIssue({ code: 'too_big', origin: 'number', maximum: max, inclusive: true, path: [key], message: `expected a number <= ${max} (windowMs × ${L.windowSlack})`, input: v });
    }
  });
export type Sample = z.infer<typeof SampleSchema>;

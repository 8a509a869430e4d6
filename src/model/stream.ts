import { z } from 'zod';
import { idSchema as id } from './ids.ts';
import { redactUrls } from './redact-url.ts';

/** A stream and its lines, as the config declares them and every module reads them. */

/** URL schemes a probe can read; the scheme picks the reader (probes/readers). */
export const SUPPORTED_SCHEMES = ['rtmp', 'rtmps', 'rtsp', 'http', 'https'] as const;

const streamUrl = z.string().superRefine((value, ctx) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.addIssue({ code: 'custom', message: `not a URL: "${redactUrls(value)}"` });
    return;
  }
  const scheme = url.protocol.replace(/:$/, '');
  if (!(SUPPORTED_SCHEMES as readonly string[]).includes(scheme)) {
    ctx.addIssue({ code: 'custom', message: `unsupported scheme "${scheme}" (expected one of ${SUPPORTED_SCHEMES.join(', ')})` });
  } else if (!url.hostname) {
    ctx.addIssue({ code: 'custom', message: `missing host in "${redactUrls(value)}"` });
  }
});

/**
 * A line's content checks (black picture, silent or over-loud sound; docs/architecture.md
 * "Sample"): `full` decodes every frame, together with the freeze and A/V sync checks of
 * `decode` (≈ 10 % of a core); `light` only keyframes and the sound (≈ 1 %); `off` none.
 */
export const CONTENT_MODES = ['full', 'light', 'off'] as const;
export type ContentMode = (typeof CONTENT_MODES)[number];

export const LineSchema = z.strictObject({
  url: streamUrl,
  /**
   * Where a region pulls this line instead of `url`: regional pull domains or edges, or (in the
   * lab) a separate network path per region so that one region's path can fail alone.
   */
  regionUrls: z.record(id, streamUrl).optional(),
  /** Decode the stream for freeze and sync-marker checks (≈ 10 % of a core instead of ≈ 0.6 %). */
  decode: z.boolean().optional(),
  /** Content checks for this line; default `probe.content`. */
  content: z.enum(CONTENT_MODES).optional(),
});

/** Startup budget defaults by product: 1-v-1 calls must start fast, show-live may take longer. */
export const STREAM_KINDS = { call: 600, 'co-host': 1000, 'show-live': 3000 } as const;

export const StreamSchema = z.strictObject({
  id,
  name: z.string().optional(),
  kind: z.enum(Object.keys(STREAM_KINDS) as [keyof typeof STREAM_KINDS]).default('show-live'),
  startupBudgetMs: z.number().int().positive().optional(),
  latencyBudgetMs: z.number().int().positive().optional(),
  nominalFps: z.number().positive().max(240).optional(),
  lines: z.record(id, LineSchema).refine((lines) => Object.keys(lines).length > 0, 'a stream needs at least one line'),
});

export type StreamConfig = z.infer<typeof StreamSchema>;
export type LineConfig = z.infer<typeof LineSchema>;

/** The URL `region` pulls `line` from. */
export function lineUrl(line: LineConfig, region: string): string {
  return line.regionUrls?.[region] ?? line.url;
}

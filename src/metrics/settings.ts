import { z } from 'zod';

/**
 * Which streams get their own series on /metrics (docs/operations.md "Metrics and dashboards"):
 * `all`, every stream this hub owns; `problems`, only those with an open incident or a line
 * degraded or down from some region; `none`, no per-stream series, only the aggregates (streams
 * by state, incidents by severity, samples by region, the delay histograms). At 50,000 streams
 * `all` is some two million series per hub: `problems` or `none` keep a scrape small.
 */
export const PER_STREAM_MODES = ['all', 'problems', 'none'] as const;
export type PerStream = (typeof PER_STREAM_MODES)[number];

export const MetricsSettingsSchema = z.strictObject({
  perStream: z.enum(PER_STREAM_MODES).default('all'),
});
export type MetricsSettings = z.infer<typeof MetricsSettingsSchema>;

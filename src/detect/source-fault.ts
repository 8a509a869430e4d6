import { activeReasons, type CompiledRule, type LineState } from './line-health.ts';

/**
 * The lines of one stream carry the same source. A fault that every line shows at once, by the
 * same rule and in every region (both lines fell to 360p, both are too loud), is the source's —
 * the encoder or the studio — not a line's: failing over cannot help, and a vendor of one line is
 * the wrong one to call. A fault one line shows while another line of the stream does not (the
 * backup at 1080p while the primary fell to 360p) is that line's.
 *
 * `lines`: per line with data, the views (one per region) in which it is degraded; a line missing
 * from a region's list is not degraded there and the caller passes no such line. Returns the rules
 * active in every one of those views, in rule order; empty when there is none or fewer than two
 * lines to compare.
 */
export function sharedRules(lines: readonly (readonly LineState[])[], rules: readonly CompiledRule[]): string[] {
  if (lines.length < 2) return [];
  let shared: string[] | undefined;
  for (const views of lines) {
    for (const v of views) {
      const here = activeReasons(v, rules).map((r) => r.rule);
      shared = shared === undefined ? here : shared.filter((rule) => here.includes(rule));
      if (shared.length === 0) return [];
    }
  }
  return shared ?? [];
}

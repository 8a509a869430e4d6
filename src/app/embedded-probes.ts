import { decodeSetting, LineSet, readerFor, type LineSpec } from '../../probes/index.ts';
import type { Config } from '../config/schema.ts';
import type { Sample } from '../model/sample.ts';
import { lineUrl } from '../model/stream.ts';
import { ReloadError, type Commit, type ReloadIssue } from '../common/reload.ts';

export interface EmbeddedProbesOptions {
  /** Where every sample goes (the hub's ingest). */
  onSample: (sample: Sample) => void;
  /** false: never probe in-process, whatever the config says (tests, an injected store). */
  enabled: boolean;
}

/**
 * The hub's in-process probes: one probe `hub-<region>` per `probe.regions`, one line per stream ×
 * line of the config at the region's URL. Started as a reload from nothing; a reload stops the
 * lines that left the config or whose URL, window or decode setting changed, starts the new ones
 * and leaves the others running (no reconnect); new `probe.health` thresholds apply to every line's
 * next window.
 */
export class EmbeddedProbes {
  private readonly sets = new Map<string, LineSet>();
  /** Probes of regions no longer probed, until their lines have stopped. */
  private readonly stopping = new Set<Promise<void>>();

  constructor(private readonly opts: EmbeddedProbesOptions) {}

  /** Lines probed now, over every region. */
  get lines(): number {
    let n = 0;
    for (const set of this.sets.values()) n += set.size;
    return n;
  }

  /** Plans every region's change and checks each new line has a reader (throws ReloadError), without touching what runs. */
  prepareReload(config: Config): Commit {
    const wanted = this.wanted(config);
    const issues: ReloadIssue[] = [];
    const plans = [...new Set([...this.sets.keys(), ...wanted.keys()])].map((region) => {
      const set = this.sets.get(region) ?? new LineSet({ probe: `hub-${region}`, region, onSample: this.opts.onSample });
      const plan = set.plan(wanted.get(region) ?? []);
      for (const spec of plan.start) {
        try {
          readerFor(spec.url);
        } catch (err) {
          const index = config.streams.findIndex((s) => s.id === spec.stream);
          issues.push({ path: `streams[${index}].lines.${spec.line}`, message: (err as Error).message });
        }
      }
      return { region, set, plan };
    });
    if (issues.length > 0) throw new ReloadError(issues);
    return () => {
      for (const { region, set, plan } of plans) {
        set.setHealth(config.probe.health);
        set.apply(plan);
        if (set.size > 0) {
          this.sets.set(region, set);
        } else if (this.sets.delete(region)) {
          const stopped = set.stop().finally(() => this.stopping.delete(stopped));
          this.stopping.add(stopped);
        }
      }
    };
  }

  /** Stops every line and waits until all their processes have exited. */
  async stop(): Promise<void> {
    const sets = [...this.sets.values()];
    this.sets.clear();
    await Promise.all([...sets.map((s) => s.stop()), ...this.stopping]);
  }

  private wanted(config: Config): Map<string, LineSpec[]> {
    const out = new Map<string, LineSpec[]>();
    if (!this.opts.enabled || !config.probe.embedded) return out;
    for (const region of config.probe.regions) {
      out.set(
        region,
        config.streams.flatMap((s) =>
          Object.entries(s.lines).map(([line, l]) => ({ stream: s.id, line, url: lineUrl(l, region), windowMs: config.probe.windowMs, decode: decodeSetting(l.decode ?? config.probe.decode, l.content ?? config.probe.content, config.probe.contentThresholds) })),
        ),
      );
    }
    return out;
  }
}

import type { Sample } from '../../src/model/sample.ts';
import { percentile } from './soak-score.ts';

/** What one region's probe measured over the run: shows whether a scenario reached the probes it aimed at. */
export interface RegionStats {
  region: string;
  samples: number;
  /** Share of windows that ended connected. */
  connected: number;
  /** 95th percentile of the longest gap between frame arrivals per window. */
  maxGapP95Ms: number | null;
  /** 95th percentile of the time without new media per window. */
  stallP95Ms: number | null;
  /** Share of windows the probe flagged as not trustworthy (Sample.impaired), by reason. */
  impaired: Record<string, number>;
}

const share = (n: number, of: number) => (of === 0 ? 0 : Math.round((n / of) * 1000) / 1000);

/** Per region, sorted by region name. */
export function regionStats(samples: readonly Sample[]): RegionStats[] {
  const byRegion = new Map<string, Sample[]>();
  for (const s of samples) byRegion.set(s.region, [...(byRegion.get(s.region) ?? []), s]);
  return [...byRegion.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([region, list]) => {
      const sorted = (f: (s: Sample) => number | undefined) => list.flatMap((s) => (f(s) === undefined ? [] : [f(s)!])).sort((a, b) => a - b);
      const impaired: Record<string, number> = {};
      for (const s of list) if (s.impaired) impaired[s.impaired] = (impaired[s.impaired] ?? 0) + 1;
      return {
        region,
        samples: list.length,
        connected: share(list.filter((s) => s.connected).length, list.length),
        maxGapP95Ms: percentile(sorted((s) => s.maxGapMs), 95),
        stallP95Ms: percentile(sorted((s) => s.stallMs), 95),
        impaired: Object.fromEntries(Object.entries(impaired).map(([k, n]) => [k, share(n, list.length)])),
      };
    });
}

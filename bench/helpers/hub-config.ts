import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The hub config the uplink benches run: N regions with one remote probe each (token in
 * BENCH_TOKEN_<i>), S single-line streams, no embedded probes, compaction out of the way (the
 * store bench measures it apart). Written to DIR/bench.yaml.
 */
export function writeBenchHubConfig(dir: string, probes: number, streams: number): { file: string; regions: string[]; tokens: string[]; tokenEnv: Record<string, string> } {
  const regions = Array.from({ length: probes }, (_, i) => `r${i}`);
  const tokens = regions.map((r) => `bench-token-${r}-${Math.random().toString(36).slice(2)}`);
  const config = {
    hub: { listen: '127.0.0.1:0', dataDir: join(dir, 'data') },
    probe: { embedded: false, windowMs: 1000 },
    regions,
    uplink: { heartbeatMs: 1000, maxMessageBytes: 4 * 1024 * 1024, probes: regions.map((r, i) => ({ id: `p-${r}`, region: r, tokenEnv: `BENCH_TOKEN_${i}` })) },
    store: { compactEvery: '1h' },
    streams: Array.from({ length: streams }, (_, i) => ({ id: `s${i}`, lines: { primary: { url: `rtmp://127.0.0.1:1/live/s${i}` } } })),
  };
  const file = join(dir, 'bench.yaml');
  writeFileSync(file, JSON.stringify(config));
  return { file, regions, tokens, tokenEnv: Object.fromEntries(tokens.map((t, i) => [`BENCH_TOKEN_${i}`, t])) };
}

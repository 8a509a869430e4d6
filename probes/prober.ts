import type { Sample } from '../src/model/sample.ts';
import type { ProbeHealthThresholds } from '../src/model/probe-health.ts';
import type { DecodeSetting } from './decode/decoder.ts';
import { LineSet } from './line-set.ts';

export interface ProbeTarget {
  stream: string;
  line: string;
  url: string;
  /** Overrides the prober-wide decode setting for this line. */
  decode?: DecodeSetting;
}

export interface ProberOptions {
  probe: string;
  region: string;
  targets: readonly ProbeTarget[];
  onSample: (sample: Sample) => void;
  windowMs?: number;
  decode?: DecodeSetting;
  /** When a window's Sample is marked impaired; default DEFAULT_PROBE_HEALTH. */
  health?: ProbeHealthThresholds;
}

export interface ProbeHandle {
  /** Stops every line and waits until all their ffprobe/ffmpeg processes have exited. */
  stop(): Promise<void>;
}

/** Runs one LineProber per target with one seq sequence for the whole probe (a LineSet that does not change). */
export function startProber(opts: ProberOptions): ProbeHandle {
  const lines = new LineSet({ probe: opts.probe, region: opts.region, onSample: opts.onSample, ...(opts.health && { health: opts.health }) });
  const windowMs = opts.windowMs ?? 1000;
  lines.apply(lines.plan(opts.targets.map((t) => ({ stream: t.stream, line: t.line, url: t.url, windowMs, ...((t.decode ?? opts.decode) !== undefined && { decode: t.decode ?? opts.decode }) }))));
  return { stop: () => lines.stop() };
}

export interface ProbeUrlOptions {
  region: string;
  probe: string;
  stream: string;
  line: string;
  onSample: (sample: Sample) => void;
  windowMs?: number;
  decode?: DecodeSetting;
  health?: ProbeHealthThresholds;
}

/** Probes a single URL: the CLI's `probe` one-shot and the tests use this. */
export function probeUrl(url: string, opts: ProbeUrlOptions): ProbeHandle {
  const { probe, region, stream, line, onSample, windowMs, decode, health } = opts;
  return startProber({
    probe,
    region,
    onSample,
    targets: [{ stream, line, url }],
    ...(windowMs !== undefined && { windowMs }),
    ...(decode !== undefined && { decode }),
    ...(health !== undefined && { health }),
  });
}

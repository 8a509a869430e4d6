import type { Sample } from '../src/model/sample.ts';
import type { DecodeSetting } from './decode/decoder.ts';
import { LineProber, seqCounter } from './line-prober.ts';

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
}

export interface ProbeHandle {
  /** Stops every line and waits until all their ffprobe/ffmpeg processes have exited. */
  stop(): Promise<void>;
}

/** Runs one LineProber per target with one seq sequence for the whole probe. */
export function startProber(opts: ProberOptions): ProbeHandle {
  const nextSeq = seqCounter();
  const lines = opts.targets.map(
    (t) =>
      new LineProber({
        probe: opts.probe,
        region: opts.region,
        stream: t.stream,
        line: t.line,
        url: t.url,
        onSample: opts.onSample,
        nextSeq,
        ...(opts.windowMs !== undefined && { windowMs: opts.windowMs }),
        ...((t.decode ?? opts.decode) !== undefined && { decode: t.decode ?? opts.decode }),
      }),
  );
  for (const line of lines) line.start();
  return { stop: async () => void (await Promise.all(lines.map((l) => l.stop()))) };
}

export interface ProbeUrlOptions {
  region: string;
  probe: string;
  stream: string;
  line: string;
  onSample: (sample: Sample) => void;
  windowMs?: number;
  decode?: DecodeSetting;
}

/** Probes a single URL: the CLI's `probe` one-shot and the tests use this. */
export function probeUrl(url: string, opts: ProbeUrlOptions): ProbeHandle {
  const { probe, region, stream, line, onSample, windowMs, decode } = opts;
  return startProber({
    probe,
    region,
    onSample,
    targets: [{ stream, line, url }],
    ...(windowMs !== undefined && { windowMs }),
    ...(decode !== undefined && { decode }),
  });
}

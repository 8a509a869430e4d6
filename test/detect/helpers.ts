import { createDetector, type Detector, type DetectorConfig, type DetectorInput } from '../../src/detect/detector.ts';
import type { IncidentEvent } from '../../src/model/incident.ts';
import type { StreamConfig } from '../../src/model/stream.ts';
import type { Sample } from '../../src/model/sample.ts';

/** A healthy 1 s window; override what the case needs. */
export function sample(over: Partial<Sample> = {}): Sample {
  return {
    probe: 'p-eu',
    region: 'eu',
    stream: 's1',
    line: 'primary',
    seq: 1,
    t: 1000,
    windowMs: 1000,
    connected: true,
    fps: 30,
    bitrateBps: 2_000_000,
    width: 1920,
    height: 1080,
    maxGapMs: 40,
    stallMs: 0,
    freezeMs: 0,
    ...over,
  };
}

/** n consecutive windows: t = t0 + 1000·(i+1), seq = seq0 + i + 1, with per-window overrides. */
export function windows(n: number, at: (i: number) => Partial<Sample>, t0 = 0, seq0 = 0): Sample[] {
  return Array.from({ length: n }, (_, i) => sample({ t: t0 + 1000 * (i + 1), seq: seq0 + i + 1, ...at(i) }));
}

export function stream(over: Partial<StreamConfig> & { id: string }): StreamConfig {
  return {
    kind: 'show-live',
    lines: { primary: { url: 'rtmp://127.0.0.1/live/a' }, backup: { url: 'http://127.0.0.1:8000/live/a.flv' } },
    ...over,
  };
}

export type Fault = Partial<Sample> | undefined;
/** A window a probe saw without the stream (as its reader reports a dead line). */
export const DOWN: Partial<Sample> = { connected: false, fps: 0, bitrateBps: 0, stallMs: 1000, error: 'eof' };
export const FROZEN: Partial<Sample> = { freezeMs: 1000 };

/** Per-view overrides of one window: undefined = healthy, null = the probe sends nothing for it. */
export type FaultOf = (stream: string, line: string, region: string, probe: string) => Fault | null;

/**
 * Three regions, one probe each unless told; every window each probe reports every stream × line.
 * Window n ends at t = 1000·n (probe clock, plus the probe's skew); its samples reach the detector
 * at hub time T + 100 and a tick follows at T + 500.
 */
export class Lab {
  readonly det: Detector;
  T = 0;
  readonly events: IncidentEvent[] = [];
  private readonly seq = new Map<string, number>();
  constructor(
    readonly streams: string[] = ['s1'],
    readonly probes: { probe: string; region: string; skew?: number }[] = [
      { probe: 'p-eu', region: 'eu' },
      { probe: 'p-us', region: 'us' },
      { probe: 'p-ap', region: 'ap' },
    ],
    config: DetectorConfig = {},
  ) {
    // Grading, so quality is judged from a view's first window unless a case asks for the per-view grace.
    this.det = createDetector({ streams: streams.map((id) => stream({ id })), ...config, settings: { lineGraceWindows: 0, ...config.settings } });
  }
  /** One window. */
  window(fault: FaultOf = () => undefined): IncidentEvent[] {
    this.T += 1000;
    const before = this.events.length;
    for (const p of this.probes) {
      for (const s of this.streams) {
        for (const line of ['primary', 'backup']) {
          const f = fault(s, line, p.region, p.probe);
          if (f === null) continue;
          const seq = (this.seq.get(p.probe) ?? 0) + 1;
          this.seq.set(p.probe, seq);
          this.feed(sample({ probe: p.probe, region: p.region, stream: s, line, seq, t: this.T + (p.skew ?? 0), ...f }));
        }
      }
    }
    return this.events.slice(before);
  }
  feed(s: Sample): IncidentEvent[] {
    return this.step(s, this.T + 100);
  }
  tick(): IncidentEvent[] {
    return this.step({ type: 'tick' }, this.T + 500);
  }
  step(input: DetectorInput, now: number): IncidentEvent[] {
    const ev = this.det.step(input, now);
    this.events.push(...ev);
    return ev;
  }
  /** n windows, each followed by a tick: the events as brief() lines. */
  run(n: number, fault?: FaultOf): string[] {
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      out.push(...brief(this.window(fault)));
      out.push(...brief(this.tick()));
    }
    return out;
  }
  /** Active incidents: "key severity scope", sorted. */
  active(): string[] {
    return this.det
      .activeIncidents()
      .map((i) => `${i.key} ${i.severity} ${i.scope}`)
      .sort();
  }
}

/** "T type key severity [cause]" */
export function brief(events: IncidentEvent[]): string[] {
  return events.map((e) => `${e.at} ${e.type} ${e.key} ${e.severity}${e.cause ? ' ' + e.cause : ''}`);
}

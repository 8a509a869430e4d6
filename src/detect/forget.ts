import type { DetectorState } from './detector.ts';
import type { ProbeState } from './probe-watch.ts';
import type { LineState } from './line-health.ts';

/**
 * Forgetting what the detector knows of a stream or of a probe's own incidents, in place, with
 * no event: the stream is no longer this hub's to watch (a config reload removed it, or another
 * hub of a cluster owns it now and carries on from the store).
 */
export function forgetStream(state: DetectorState, id: string): void {
  const sv = state.streams.get(id);
  if (sv) {
    state.streams.delete(id);
    state.awaiting.delete(sv);
    state.restored.delete(sv);
  }
  for (const p of state.probes.values()) {
    const lines = p.views.get(id);
    if (!lines) continue;
    for (const st of lines.values()) forgetView(p, st);
    p.views.delete(id);
  }
}

/** A probe's own incidents (blind, impaired): the hub that owns them now raises and clears them. */
export function forgetProbeIncidents(state: DetectorState, probe: string): void {
  for (const [key, inc] of state.probeIncidents) if (inc.probe === probe) state.probeIncidents.delete(key);
  state.restoredImpairments.delete(probe);
}

/** Takes a view out of its probe's counts. */
export function forgetView(p: ProbeState, st: LineState): void {
  p.viewCount--;
  if (st.level === 'down') p.downCount--;
}

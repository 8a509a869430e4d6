import type { Incident } from '../model/incident.ts';
import { incidentView } from './health.ts';
import type { IncidentView, PolicyInput, StreamHealth } from './types.ts';

/** The open incidents of the streams `wanted` accepts, in the policies' shape, by stream (one pass over them all). */
export function incidentsByStream(open: readonly Incident[], wanted: (stream: string) => boolean): Map<string, IncidentView[]> {
  const byStream = new Map<string, IncidentView[]>();
  for (const inc of open) {
    if (inc.stream === undefined || !wanted(inc.stream)) continue;
    let list = byStream.get(inc.stream);
    if (!list) byStream.set(inc.stream, (list = []));
    list.push(incidentView(inc));
  }
  return byStream;
}

/**
 * What the policies see of a stream at `now`. While the stream is in its start-up grace and a
 * configured line has not reported yet, that line is unknown rather than absent (`awaiting`).
 */
export function policyInput(
  stream: string,
  lines: readonly string[],
  health: StreamHealth,
  incidents: readonly IncidentView[],
  graceUntil: number | undefined,
  now: number,
): PolicyInput {
  const input: PolicyInput = { stream, lines, health, incidents };
  if (graceUntil !== undefined && now < graceUntil && lines.some((l) => health[l] === undefined)) input.awaiting = true;
  return input;
}

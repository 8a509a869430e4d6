import { probeStream } from './owned-stream.ts';

/**
 * The stream whose owner acts on an incident (Ownership.actingOn), from the incident's id or key
 * alone — what an outbox row or an SLA clock keeps of it. A line's incident (`<stream>/<line>/down`,
 * `…/degraded`, id `<key>@<openedAt>`) is its stream's; a probe's own incident
 * (`probe/<probe>/blind`, `…/impaired`) has no stream and belongs to the pseudo-stream
 * `probe:<probe>`, so that exactly one hub of a cluster acts on it. The kind tells the two apart:
 * a stream may be called `probe`.
 */
export function actingStream(incidentIdOrKey: string): string {
  const [first = '', second = '', third = ''] = incidentIdOrKey.split('/');
  const kind = third.split('@')[0];
  return first === 'probe' && (kind === 'blind' || kind === 'impaired') ? probeStream(second) : first;
}

import type { EventBus } from '../common/event-bus.ts';
import { INCIDENT_TOPICS } from '../model/topics.ts';

/**
 * Calls `listener` with the stream whenever what a console shows of it may have changed on this
 * hub: a probe's view of one of its lines changed level, or one of its incidents changed. Returns
 * the unsubscribe.
 */
export function streamChanges(bus: EventBus, listener: (stream: string) => void): () => void {
  const unsubs = [
    bus.on('line.level', (c) => listener(c.stream)),
    ...INCIDENT_TOPICS.map((t) =>
      bus.on(t, (c) => {
        if (c.incident.stream !== undefined) listener(c.incident.stream);
      }),
    ),
  ];
  return () => {
    for (const u of unsubs) u();
  };
}

import type { Incident } from '../model/incident.ts';
import type { Logger } from '../common/log.ts';
import type { IncidentRepository } from '../store/ports.ts';

/** Looks up a stored incident by id. */
export type ReadIncident = (id: string) => Promise<Incident | undefined>;

/**
 * Stored incidents as the ticket steps read them. A store that cannot answer (closed at shutdown,
 * a networked engine away) reads as "no such incident", logged: the step is skipped, or uses the
 * incident its notice carries, instead of failing a delivery for good.
 */
export function incidentReader(stored: Pick<IncidentRepository, 'get'>, log?: Logger): ReadIncident {
  return async (id) => {
    try {
      return await stored.get(id);
    } catch (err) {
      log?.warn({ err, incidentId: id }, 'could not read a stored incident');
      return undefined;
    }
  };
}

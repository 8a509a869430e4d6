import type { Incident } from '../model/incident.ts';
import type { IncidentRepository } from '../store/ports.ts';

/** Where the incidents the hub can list are read: the repository, and the ids the running manager touched. */
export interface IncidentReads {
  repository: Pick<IncidentRepository, 'open' | 'get' | 'timeline'>;
  /** Ids of the incidents opened, changed or restored since the hub started, newest first. */
  recent(): readonly string[];
}

/**
 * Every stored open incident, plus (with `resolvedToo`) every one touched since the hub started:
 * the repository has no history query yet, so that is what "all" can be.
 */
export async function knownIncidents(reads: IncidentReads, resolvedToo: boolean): Promise<Incident[]> {
  const byId = new Map<string, Incident>();
  for (const inc of await reads.repository.open()) byId.set(inc.id, inc);
  if (resolvedToo) {
    for (const id of reads.recent()) {
      if (byId.has(id)) continue;
      const inc = await reads.repository.get(id);
      if (inc) byId.set(id, inc);
    }
  }
  return [...byId.values()];
}

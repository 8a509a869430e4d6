import type { Ownership } from '../cluster/ownership.ts';
import { detectorLineHealth, type ControllerOptions } from '../control/index.ts';
import type { AuditLog, ControlStateRepository } from '../store/ports.ts';
import type { Hub } from './hub.ts';

/**
 * What the controller takes from the hub: its incidents, the detector's line health, incident
 * changes, the audit log, the clock, and (when given) where its per-stream state is kept and which
 * streams it acts on (a hub of a cluster: the streams of the shards it leases).
 */
export function controllerPorts(hub: Hub, audit: AuditLog, state?: ControlStateRepository, ownership?: Ownership): Pick<ControllerOptions, 'incidents' | 'lineHealth' | 'events' | 'audit' | 'state' | 'clock' | 'ownership'> {
  return {
    incidents: hub.incidents,
    lineHealth: detectorLineHealth(hub.detector.state),
    events: hub.bus,
    audit,
    ...(state && { state }),
    clock: hub.clock,
    ...(ownership && { ownership }),
  };
}

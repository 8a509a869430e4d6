import { detectorLineHealth, type ControllerOptions } from '../control/index.ts';
import type { AuditLog, ControlStateRepository } from '../store/ports.ts';
import type { Hub } from './hub.ts';

/**
 * What the controller takes from the hub: its incidents, the detector's line health, incident
 * changes, the audit log, the clock, and (when given) where its per-stream state is kept.
 */
export function controllerPorts(hub: Hub, audit: AuditLog, state?: ControlStateRepository): Pick<ControllerOptions, 'incidents' | 'lineHealth' | 'events' | 'audit' | 'state' | 'clock'> {
  return {
    incidents: hub.incidents,
    lineHealth: detectorLineHealth(hub.detector.state),
    events: hub.bus,
    audit,
    ...(state && { state }),
    clock: hub.clock,
  };
}

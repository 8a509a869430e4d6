import { detectorLineHealth, type ControllerOptions } from '../control/index.ts';
import type { AuditLog } from '../store/ports.ts';
import type { Hub } from './hub.ts';

/** What the controller takes from the hub: its incidents, the detector's line health, incident changes, the audit log, the clock. */
export function controllerPorts(hub: Hub, audit: AuditLog): Pick<ControllerOptions, 'incidents' | 'lineHealth' | 'events' | 'audit' | 'clock'> {
  return {
    incidents: hub.incidents,
    lineHealth: detectorLineHealth(hub.detector.state),
    events: hub.bus,
    audit,
    clock: hub.clock,
  };
}

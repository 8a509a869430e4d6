import { detectorLineHealth, type ControllerOptions } from '../control/index.ts';
import type { Hub } from './hub.ts';

/** What the controller takes from the hub: its incidents, the detector's line health, incident changes, the audit log, the clock. */
export function controllerPorts(hub: Hub): Pick<ControllerOptions, 'incidents' | 'lineHealth' | 'events' | 'audit' | 'clock'> {
  return {
    incidents: hub.incidents,
    lineHealth: detectorLineHealth(hub.detector.state),
    events: hub.bus,
    // The AuditLog port over today's synchronous store: the row is written inside append(), so
    // rows keep the order of the calls; a throwing write becomes a rejection the controller logs.
    audit: { append: async (e) => hub.store.audit(e), recent: async (n) => hub.store.auditLog(n) },
    clock: hub.clock,
  };
}

/** The tickets module's public surface (docs/tickets.md). */
export {
  checkTicketsConfig,
  DEFAULT_SLA_MS,
  TicketsConfigSchema,
  ticketsConfigShape,
  type EscalationConfig,
  type RolesConfig,
  type TicketsConfig,
  type VendorConfig,
} from './config-schema.ts';
export { drill, formatDrillReport, type DrillChannel, type DrillReport } from './drill.ts';
export { buildEvidence, type EvidenceBundle } from './evidence.ts';
export { pagerDutySignature, verifyPagerDutySignature } from './pagerduty-signature.ts';
export { ticketRoutes, type TicketRoutesOptions } from './routes.ts';
export type { TicketMetrics } from './counters.ts';
export type { AckResult } from './escalation.ts';
export type { ManualTicketResult } from './manual.ts';
export type { Muter } from './mute.ts';
export type { LiveIncidents, TicketHub, TicketStorage } from './ports.ts';
export { TicketRequestError } from './request-error.ts';
export { TicketService, type TicketServiceOptions } from './service.ts';
export { DeliveryError, type TicketMessage, type TicketVendor } from './types.ts';
export { createVendor, missingSecrets } from './vendors.ts';

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
export { pagerDutySignature, ticketRawRoutes, ticketRoutes, verifyPagerDutySignature, type TicketRoutesOptions } from './http.ts';
export { outboxFor, TicketService, type AckResult, type TicketHub, type TicketMetrics, type TicketServiceOptions } from './service.ts';
export { DeliveryError, type TicketMessage, type TicketVendor } from './types.ts';
export { createVendor, missingSecrets } from './vendors.ts';
export { OutboxStore } from '../store/outbox.ts';

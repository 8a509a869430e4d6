/** Counters for /metrics (labels from the config only: vendor names and severities). */
export interface TicketMetrics {
  /** tickets_total{vendor,severity}: tickets opened (open delivered) since start. */
  ticketsTotal: { vendor: string; severity: string; value: number }[];
  /** Delivery attempts by vendor and outcome (delivered, retry, failed). */
  deliveriesTotal: { vendor: string; outcome: string; value: number }[];
  escalationsTotal: number;
  vendorAcksTotal: number;
  outboxPending: number;
}

/** What the ticket stages counted since start (`GET /api/v1/tickets` shows `stats`; /metrics the rest). */
export class TicketCounters {
  /** `fenced`: writes the store refused because another hub took the incident's shard over. */
  readonly stats = { enqueued: 0, delivered: 0, retries: 0, failed: 0, escalations: 0, acks: 0, fenced: 0 };
  private readonly opened = new Map<string, { vendor: string; severity: string; value: number }>();
  private readonly attempts = new Map<string, { vendor: string; outcome: string; value: number }>();

  ticketOpened(vendor: string, severity: string): void {
    bump(this.opened, `${vendor} ${severity}`, { vendor, severity });
  }

  deliveryAttempt(vendor: string, outcome: string): void {
    bump(this.attempts, `${vendor} ${outcome}`, { vendor, outcome });
  }

  metrics(outboxPending: number): TicketMetrics {
    return {
      ticketsTotal: [...this.opened.values()].map((c) => ({ ...c })),
      deliveriesTotal: [...this.attempts.values()].map((c) => ({ ...c })),
      escalationsTotal: this.stats.escalations,
      vendorAcksTotal: this.stats.acks,
      outboxPending,
    };
  }
}

function bump<L extends object>(m: Map<string, L & { value: number }>, key: string, labels: L): void {
  const c = m.get(key);
  if (c) c.value++;
  else m.set(key, { ...labels, value: 1 });
}

import type { Logger } from '../common/log.ts';
import type { AuditLog } from '../store/ports.ts';
import type { TicketsConfig } from './config-schema.ts';
import { drill, type DrillReport } from './drill.ts';
import type { AckResult } from './escalation.ts';
import type { TicketVendor } from './types.ts';

interface DrillAck {
  vendor: string;
  by: string;
  at: number;
}

export interface LiveDrillOptions {
  /** The tickets config in use when a drill runs. */
  config: () => TicketsConfig;
  /** The running service's adapters. */
  adapters: ReadonlyMap<string, TicketVendor>;
  audit: Pick<AuditLog, 'append'>;
  clock: () => number;
  logger?: Logger;
}

/**
 * A drill through the running service's adapters (drill.ts sends it), which can also wait for a
 * human to acknowledge it through an inbound webhook, like a real ticket; audited (`tickets.drill`).
 */
export class LiveDrill {
  private readonly waiting = new Map<string, (a: DrillAck) => void>();

  constructor(private readonly o: LiveDrillOptions) {}

  /** Whether an acknowledged id is a drill's (`drill-<ms>`), not an incident's. */
  static isDrill(incidentId: string): boolean {
    return incidentId.startsWith('drill-');
  }

  async run(opts: { by?: string; waitAckMs?: number; only?: string[] } = {}): Promise<DrillReport> {
    const now = this.o.clock();
    const id = `drill-${now}`;
    let acked: Promise<DrillAck> | undefined;
    if (opts.waitAckMs !== undefined && opts.waitAckMs > 0) acked = new Promise<DrillAck>((resolve) => this.waiting.set(id, resolve));
    const report = await drill(this.o.config(), { clock: () => now, adapters: this.o.adapters, ...(opts.by !== undefined && { by: opts.by }), ...(opts.only && { only: opts.only }) });
    if (acked) {
      let timer: NodeJS.Timeout | undefined;
      const a = await Promise.race([acked, new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), opts.waitAckMs)))]);
      clearTimeout(timer);
      this.waiting.delete(id);
      if (a) report.acknowledged = { vendor: a.vendor, by: a.by, ms: a.at - now };
    }
    try {
      await this.o.audit.append({ t: now, actor: report.by, action: 'tickets.drill', target: 'vendors', reason: 'contact channel drill', data: report });
    } catch (err) {
      this.o.logger?.warn({ err }, 'could not audit the drill');
    }
    return report;
  }

  /** A drill's acknowledgement: ends the wait of the drill running under that id. */
  acknowledge(a: { incidentId: string; vendor: string; by: string }, now: number): AckResult {
    const w = this.waiting.get(a.incidentId);
    w?.({ vendor: a.vendor, by: a.by, at: now });
    return w ? { ok: true, incidentId: a.incidentId } : { ok: false, error: `no drill "${a.incidentId}" waiting` };
  }
}

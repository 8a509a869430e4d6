import type { TicketsConfig, VendorConfig } from './config-schema.ts';
import { roleLines } from './message.ts';
import type { TicketMessage, TicketVendor } from './types.ts';
import { createVendor } from './vendors.ts';

/**
 * Drill: a clearly marked test through every configured vendor and escalation channel, sent
 * directly (not through the outbox: a drill measures the channel, now), reporting which answered
 * and how fast. Contact channels are tested before the night they are needed.
 *
 * `drill(config)` works from the config alone (CLI `streamguard drill`, no hub needed);
 * `TicketService.drill()` uses the running service's adapters and can also wait for a human to
 * acknowledge the drill through an inbound webhook.
 */

export interface DrillChannel {
  name: string;
  type: string;
  /** "ticket" and/or the escalation steps it carries. */
  uses: string[];
  ok: boolean;
  ms: number;
  status?: number;
  error?: string;
}

export interface DrillReport {
  id: string;
  at: string;
  by: string;
  ok: boolean;
  channels: DrillChannel[];
  /** With waitAckMs: the first acknowledgement of the drill through an inbound webhook, if any came. */
  acknowledged?: { vendor: string; by: string; ms: number };
}

export interface DrillOptions {
  by?: string;
  /** Only these vendor names. */
  only?: string[];
  env?: NodeJS.ProcessEnv;
  clock?: () => number;
  /** Adapters to use instead of building them from config. */
  adapters?: ReadonlyMap<string, TicketVendor>;
}

export async function drill(config: TicketsConfig, opts: DrillOptions = {}): Promise<DrillReport> {
  const now = (opts.clock ?? Date.now)();
  const id = `drill-${now}`;
  const by = opts.by ?? 'operator';
  const env = opts.env ?? process.env;
  const vendors = config.vendors.filter((v) => !opts.only || opts.only.includes(v.name));
  const channels = await Promise.all(
    vendors.map(async (v): Promise<DrillChannel> => {
      const uses = [...(v.use !== 'escalation' ? ['ticket'] : []), ...config.escalation.chain.filter((s) => s.channel === v.name).map((s) => `escalation: ${s.name}`)];
      const t0 = performance.now();
      try {
        const adapter = opts.adapters?.get(v.name) ?? createVendor(v, env);
        const r = await adapter.send(drillMessage(id, v, by, now, config), {});
        return { name: v.name, type: v.type, uses, ok: true, ms: Math.round(performance.now() - t0), ...(r.status !== undefined && { status: r.status }) };
      } catch (err) {
        const e = err as Error & { status?: number };
        return { name: v.name, type: v.type, uses, ok: false, ms: Math.round(performance.now() - t0), error: e.message, ...(e.status !== undefined && { status: e.status }) };
      }
    }),
  );
  return { id, at: new Date(now).toISOString(), by, ok: channels.length > 0 && channels.every((c) => c.ok), channels };
}

export function drillMessage(id: string, vendor: VendorConfig, by: string, now: number, config: TicketsConfig): TicketMessage {
  const at = new Date(now).toISOString();
  return {
    action: 'drill',
    idempotencyKey: `${id}/${vendor.name}`,
    incidentId: id,
    dedupKey: id,
    severity: 'P3',
    title: '[DRILL] streamguard contact channel test',
    summary: `[DRILL] Test message from streamguard, started by ${by} at ${at}. No action is needed; please acknowledge it (incident "${id}") so we know this channel reaches a person.`,
    status: 'drill',
    lines: [],
    regions: [],
    kind: 'drill',
    scope: 'drill',
    onset: at,
    openedAt: at,
    causes: [],
    actions: [],
    roles: roleLines(config.roles),
    drill: true,
  };
}

/** A short human report, one line per channel. */
export function formatDrillReport(r: DrillReport): string {
  const lines = [`drill ${r.id} by ${r.by} at ${r.at}: ${r.ok ? 'all channels answered' : 'SOME CHANNELS FAILED'}`];
  for (const c of r.channels) lines.push(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name} (${c.type}; ${c.uses.join(', ') || 'unused'}) ${c.ms} ms${c.status !== undefined ? ` [${c.status}]` : ''}${c.error ? ` — ${c.error}` : ''}`);
  if (r.acknowledged) lines.push(`  acknowledged by ${r.acknowledged.by} via ${r.acknowledged.vendor} after ${r.acknowledged.ms} ms`);
  return lines.join('\n');
}

import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Incident } from '../model/incident.ts';
import type { SilenceStore } from '../store/silences.ts';
import { SeveritySchema } from '../model/severity.ts';

/**
 * Operator silences (matcher + expiry), set before planned work. A silence mutes matching WS
 * event pushes and, unless its matcher names another topic, holds back new vendor tickets and SLA
 * escalations for matching incidents (`holding`, used by the tickets service). Detection,
 * incidents and the failover policies go on. Persisted in the store when one is given, so a
 * maintenance window survives a hub restart.
 */

export const SilenceMatcherSchema = z
  .strictObject({
    stream: z.string().min(1).max(200).optional(),
    line: z.string().min(1).optional(),
    kind: z.string().min(1).optional(),
    severity: SeveritySchema.optional(),
    topic: z.string().min(1).optional(),
  })
  .refine((m) => Object.keys(m).length > 0, 'a matcher needs at least one field (stream, line, kind, severity, topic)');

export interface Silence {
  id: string;
  matcher: z.infer<typeof SilenceMatcherSchema>;
  until: number;
  by: string;
  reason: string;
  at: number;
}

type Match = Partial<Pick<Incident, 'stream' | 'line' | 'kind' | 'severity'>>;

export class Silences {
  private readonly list = new Map<string, Silence>();

  constructor(
    private readonly clock: () => number,
    private readonly store?: SilenceStore,
  ) {
    for (const s of store?.active(clock()) ?? []) {
      const silence = s as Silence;
      this.list.set(silence.id, silence);
    }
  }

  add(s: Omit<Silence, 'id'>): Silence {
    const silence = { id: `sil-${s.at}-${randomBytes(3).toString('hex')}`, ...s };
    this.store?.save(silence);
    this.list.set(silence.id, silence);
    return silence;
  }

  remove(id: string): Silence | undefined {
    const s = this.list.get(id);
    this.list.delete(id);
    this.store?.remove(id);
    return s;
  }

  active(): Silence[] {
    const now = this.clock();
    for (const [k, s] of this.list) if (s.until <= now) this.list.delete(k);
    return [...this.list.values()];
  }

  /** True when an active silence matches this event (incident fields and topic). */
  silenced(topic: string, inc: Match): boolean {
    return this.matching(topic, inc) !== undefined;
  }

  /** The active silence that holds back this incident's new tickets and escalations, if any. */
  holding(inc: Match): Silence | undefined {
    return this.matching('incidents', inc);
  }

  private matching(topic: string, inc: Match): Silence | undefined {
    if (this.list.size === 0) return undefined;
    return this.active().find((s) => {
      const m = s.matcher;
      if (m.topic !== undefined && m.topic !== topic && !topic.startsWith(`${m.topic}:`)) return false;
      if (m.stream !== undefined && m.stream !== inc.stream) return false;
      if (m.line !== undefined && m.line !== inc.line) return false;
      if (m.kind !== undefined && m.kind !== inc.kind) return false;
      if (m.severity !== undefined && m.severity !== inc.severity) return false;
      return true;
    });
  }
}

import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Incident } from '../model/incident.ts';
import { SeveritySchema } from '../model/severity.ts';
import type { SilenceRepository } from '../store/ports.ts';
import { checkStored } from '../store/stored-record.ts';

/**
 * Operator silences (matcher + expiry), set before planned work. A silence mutes matching WS
 * event pushes and, unless its matcher names another topic, holds back new vendor tickets and SLA
 * escalations for matching incidents (`holding`, used by the tickets service). Detection,
 * incidents and the failover policies go on. Persisted in a SilenceRepository, so a maintenance
 * window survives a hub restart.
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

/** A silence as set by an operator, and as stored. */
export const SilenceSchema = z.object({
  id: z.string(),
  matcher: SilenceMatcherSchema,
  until: z.number(),
  by: z.string(),
  reason: z.string(),
  at: z.number(),
});
export type Silence = z.infer<typeof SilenceSchema>;

type Match = Partial<Pick<Incident, 'stream' | 'line' | 'kind' | 'severity'>>;

export class Silences {
  private readonly list = new Map<string, Silence>();
  /** Adds and removes made here: a refresh that read the store before one of them does not apply. */
  private changes = 0;

  private constructor(
    private readonly clock: () => number,
    private readonly repository: SilenceRepository,
  ) {}

  /** The silences still active in the repository (a stored one that is not a silence is refused, naming it). */
  static async load(clock: () => number, repository: SilenceRepository): Promise<Silences> {
    const silences = new Silences(clock, repository);
    for (const s of await silences.stored()) silences.list.set(s.id, s);
    return silences;
  }

  /**
   * Takes up what the other hubs sharing the store set and removed (a cluster: an operator's
   * silence reaches whichever hub owns the incident's stream, not only the one that took the
   * command): the stored active silences replace these. Skipped when a silence was added or
   * removed here while the store was read; the next refresh has it.
   */
  async refresh(): Promise<void> {
    const before = this.changes;
    const stored = await this.stored();
    if (this.changes !== before) return;
    this.list.clear();
    for (const s of stored) this.list.set(s.id, s);
  }

  /** Sets a silence; it is stored before it takes effect. */
  async add(s: Omit<Silence, 'id'>): Promise<Silence> {
    const silence = { id: `sil-${s.at}-${randomBytes(3).toString('hex')}`, ...s };
    await this.repository.save(silence);
    this.changes++;
    this.list.set(silence.id, silence);
    return silence;
  }

  /** Removes a silence at once, and from the repository. */
  async remove(id: string): Promise<Silence | undefined> {
    const s = this.list.get(id);
    this.changes++;
    this.list.delete(id);
    await this.repository.remove(id);
    return s;
  }

  /** The repository's active silences, checked (one that is not a silence is refused, naming it). */
  private async stored(): Promise<Silence[]> {
    return (await this.repository.active(this.clock())).map((stored) => {
      const id = typeof stored === 'object' && stored !== null && 'id' in stored ? String(stored.id) : '?';
      return checkStored(SilenceSchema, stored, `silence "${id}"`);
    });
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

import type { Sample } from '../model/sample.ts';

/** A stored incident: indexed columns plus the full lifecycle document as JSON. */
export interface StoredIncident {
  id: string;
  key: string; // dedup key `stream/line/kind`
  status: string;
  severity: string;
  openedAt: number;
  resolvedAt?: number;
  data: unknown;
}

export interface TimelineEntry {
  incidentId: string;
  t: number;
  type: string;
  data: unknown;
}

export interface AuditEntry {
  t: number;
  actor: string; // user, token name or policy
  action: string;
  target: string;
  reason: string;
  data?: unknown;
}

/** Per-minute aggregate of raw samples for one (stream, line, region). */
export interface SampleRollup {
  minute: number; // unix ms, start of the minute
  stream: string;
  line: string;
  region: string;
  samples: number;
  connectedRatio: number;
  fpsAvg: number;
  bitrateAvg: number;
  stallMs: number;
  freezeMs: number;
  maxGapMs: number;
  latencyAvgMs: number | null;
}

export interface SampleQuery {
  stream: string;
  line?: string;
  region?: string;
  from: number;
  to: number;
}

/**
 * Durable state of the hub. SQLite is the embedded default; a PostgreSQL implementation plugs in
 * here for scale. Writes are synchronous and durable on return so nothing accepted is lost.
 */
export interface Store {
  upsertIncident(incident: StoredIncident, timeline: TimelineEntry[]): void;
  openIncidents(): StoredIncident[];
  incident(id: string): StoredIncident | undefined;
  timeline(incidentId: string): TimelineEntry[];
  audit(entry: AuditEntry): void;
  auditLog(limit: number): AuditEntry[];
  addSamples(samples: readonly Sample[]): void;
  /** Highest seq of a probe ever stored, for dedup across hub restarts. */
  lastSeq(probe: string): number | undefined;
  samples(query: SampleQuery): Sample[];
  /** Written samples not yet in the sample history's by-stream order (a growing number: the merge is behind). */
  unmerged?(): number;
  rollups(query: SampleQuery): SampleRollup[];
  /** Rolls raw samples older than `rawBefore` into minutes, drops rollups older than `rollupBefore`. */
  compact(rawBefore: number, rollupBefore: number): Promise<{ rolledUp: number; prunedRollups: number }>;
  close(): void;
}

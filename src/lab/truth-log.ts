/**
 * Ground truth of injected faults: what was done to which line, and when it actually took
 * effect (wall ms), so detectors can be scored against it.
 */
export interface TruthRecord {
  id: number;
  kind: string;
  stream: string;
  line: string;
  protocol?: string;
  params: Record<string, unknown>;
  startedAt: number;
  /** Unset while the fault is active. */
  endedAt?: number;
  /** How the fault was realised when that matters for scoring (e.g. "publisher restarted"). */
  note?: string;
}

export type NewTruth = Omit<TruthRecord, 'id' | 'endedAt'>;

export class TruthLog {
  private readonly records: TruthRecord[] = [];
  private nextId = 1;

  begin(record: NewTruth): TruthRecord {
    const entry: TruthRecord = { id: this.nextId++, ...record };
    this.records.push(entry);
    return entry;
  }

  end(record: TruthRecord, atMs: number): void {
    record.endedAt ??= atMs;
  }

  /** Ends every active record matching the predicate (e.g. a kill ends a running freeze). */
  endWhere(predicate: (record: TruthRecord) => boolean, atMs: number): void {
    for (const record of this.records) {
      if (record.endedAt === undefined && predicate(record)) record.endedAt = atMs;
    }
  }

  all(): TruthRecord[] {
    return this.records.map((record) => ({ ...record }));
  }

  active(): TruthRecord[] {
    return this.all().filter((record) => record.endedAt === undefined);
  }
}

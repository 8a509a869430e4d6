import type { Sample } from '../../model/sample.ts';
import type { SampleHistory, SampleQuery, SampleRollup } from '../ports.ts';
import { MINUTE_MS, toRollup, wholeMinutesBefore, type RollupRow } from '../rollup-row.ts';
import { rowSample, SAMPLE_COLUMN_KINDS, SAMPLE_COLUMNS, type SampleRow } from '../sample-row.ts';
import type { PostgresSession, Sql } from './session.ts';

const ARRAY_TYPES = { text: 'text[]', integer: 'bigint[]', real: 'float8[]' } as const;

/**
 * A batch as one array per column, unnested into rows: 25 parameters whatever the batch's size
 * (a VALUES list takes 25 per row, and its statement is parsed and planned anew for each size).
 */
const INSERT_SAMPLES = `INSERT INTO samples (${SAMPLE_COLUMNS})
  SELECT * FROM unnest(${SAMPLE_COLUMN_KINDS.map((c, i) => `$${i + 1}::${ARRAY_TYPES[c.kind]}`).join(', ')})
  ON CONFLICT (probe, seq) DO NOTHING`;

/**
 * The sample history in one table (`samples`, keyed by (probe, seq), indexed by (stream, t)) and
 * minute rollups. No second tier as in SQLite: the server takes writes beside reads, so an append
 * is one transaction straight into the queryable table, and resolves once committed.
 */
export class PostgresSampleHistory implements SampleHistory {
  /** Samples of the appends not yet committed. */
  private inFlight = 0;

  constructor(private readonly session: PostgresSession) {}

  async append(samples: readonly Sample[]): Promise<void> {
    if (samples.length === 0) return;
    this.inFlight += samples.length;
    try {
      await this.session.transaction(async (sql) => {
        await insert(sql, samples);
        const high = new Map<string, number>();
        for (const s of samples) if (s.seq > (high.get(s.probe) ?? -1)) high.set(s.probe, s.seq);
        await sql.query(
          `INSERT INTO probe_seqs (probe, seq) SELECT * FROM unnest($1::text[], $2::bigint[])
           ON CONFLICT (probe) DO UPDATE SET seq = GREATEST(probe_seqs.seq, excluded.seq)`,
          [[...high.keys()], [...high.values()]],
        );
      });
    } finally {
      this.inFlight -= samples.length;
    }
  }

  async lastSeq(probe: string): Promise<number | undefined> {
    const { rows } = await this.session.query<{ seq: number }>('SELECT seq FROM probe_seqs WHERE probe = $1', [probe]);
    return rows[0]?.seq;
  }

  async samples(q: SampleQuery): Promise<Sample[]> {
    const { rows } = await this.session.query<SampleRow>(
      `SELECT ${SAMPLE_COLUMNS} FROM samples
       WHERE stream = $1 AND t >= $2 AND t < $3 AND ($4::text IS NULL OR line = $4) AND ($5::text IS NULL OR region = $5)
       ORDER BY t, region, line, probe, seq`,
      params(q),
    );
    return rows.map(rowSample);
  }

  async rollups(q: SampleQuery): Promise<SampleRollup[]> {
    const { rows } = await this.session.query<RollupRow>(
      `SELECT * FROM sample_rollups
       WHERE stream = $1 AND minute >= $2 AND minute < $3 AND ($4::text IS NULL OR line = $4) AND ($5::text IS NULL OR region = $5)
       ORDER BY minute, region, line`,
      params(q),
    );
    return rows.map(toRollup);
  }

  async compact(rawBefore: number, rollupBefore: number): Promise<{ rolledUp: number; prunedRollups: number }> {
    const before = wholeMinutesBefore(rawBefore);
    return this.session.transaction(async (sql) => {
      await sql.query(
        `INSERT INTO sample_rollups (minute, stream, line, region, samples, connected, fps_sum, bitrate_sum, stall_ms, freeze_ms, max_gap_ms, latency_sum, latency_n)
         SELECT (t / ${MINUTE_MS}) * ${MINUTE_MS} AS m, stream, line, region, COUNT(*), SUM(connected), SUM(fps), SUM(bitrate_bps),
                SUM(stall_ms), SUM(freeze_ms), MAX(max_gap_ms), COALESCE(SUM(latency_ms), 0), COUNT(latency_ms)
           FROM samples WHERE t < $1 GROUP BY m, stream, line, region
         ON CONFLICT (stream, line, region, minute) DO UPDATE SET
           samples = sample_rollups.samples + excluded.samples, connected = sample_rollups.connected + excluded.connected,
           fps_sum = sample_rollups.fps_sum + excluded.fps_sum, bitrate_sum = sample_rollups.bitrate_sum + excluded.bitrate_sum,
           stall_ms = sample_rollups.stall_ms + excluded.stall_ms, freeze_ms = sample_rollups.freeze_ms + excluded.freeze_ms,
           max_gap_ms = GREATEST(sample_rollups.max_gap_ms, excluded.max_gap_ms),
           latency_sum = sample_rollups.latency_sum + excluded.latency_sum, latency_n = sample_rollups.latency_n + excluded.latency_n`,
        [before],
      );
      const rolledUp = (await sql.query('DELETE FROM samples WHERE t < $1', [before])).rowCount ?? 0;
      const prunedRollups = (await sql.query('DELETE FROM sample_rollups WHERE minute < $1', [rollupBefore])).rowCount ?? 0;
      return { rolledUp, prunedRollups };
    });
  }

  unmerged(): number {
    return this.inFlight;
  }
}

async function insert(sql: Sql, batch: readonly Sample[]): Promise<void> {
  await sql.query(
    INSERT_SAMPLES,
    SAMPLE_COLUMN_KINDS.map((c) => arrayLiteral(batch, c.value, c.kind === 'text')),
  );
}

/**
 * A column of a batch as one PostgreSQL array literal. pg would build the same text from an array
 * element by element (prepareValue, escapeElement): ≈ 4 % of a hub's CPU in a drain profile, for
 * values that are numbers and ids. Numbers print as JavaScript does (finite, checked at the gate;
 * integers below 2^53, so never in exponent form); text is always quoted, its `"` and `\` escaped.
 */
function arrayLiteral(batch: readonly Sample[], value: (s: Sample) => string | number | null, text: boolean): string {
  let out = '{';
  for (let i = 0; i < batch.length; i++) {
    if (i > 0) out += ',';
    const v = value(batch[i]!);
    out += v === null ? 'NULL' : text ? `"${(v as string).replace(ESCAPED, '\\$&')}"` : String(v);
  }
  return `${out}}`;
}
const ESCAPED = /["\\]/g;

function params(q: SampleQuery): unknown[] {
  return [q.stream, q.from, q.to, q.line ?? null, q.region ?? null];
}

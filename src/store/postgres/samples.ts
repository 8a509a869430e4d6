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
    SAMPLE_COLUMN_KINDS.map((c) => binaryArray(batch, c.value, c.kind)),
  );
}

/** Element type OIDs of the three array types (pg_type): the server checks them against the parameter's type. */
const ELEMENT_OID = { text: 25, integer: 20, real: 701 } as const;
const TWO_32 = 2 ** 32;

/**
 * A column of a batch in PostgreSQL's binary array format (array_recv): a Buffer parameter, which
 * pg sends as binary. Text literals cost the hub a string per value, then a flattening and a UTF-8
 * copy of each long literal (≈ 9 % of a draining hub's CPU and much of its garbage), and the server
 * a float parse per value. Numbers are checked finite at the gate; integers are safe integers.
 */
function binaryArray(batch: readonly Sample[], value: (s: Sample) => string | number | null, kind: keyof typeof ELEMENT_OID): Buffer {
  let size = 20; // ndim, has-nulls flag, element type, then the one dimension's length and lower bound
  let nulls = 0;
  for (let i = 0; i < batch.length; i++) {
    const v = value(batch[i]!);
    if (v === null) nulls = 1;
    size += 4 + (v === null ? 0 : kind === 'text' ? Buffer.byteLength(v as string) : 8);
  }
  const buf = Buffer.allocUnsafe(size);
  buf.writeInt32BE(1, 0);
  buf.writeInt32BE(nulls, 4);
  buf.writeInt32BE(ELEMENT_OID[kind], 8);
  buf.writeInt32BE(batch.length, 12);
  buf.writeInt32BE(1, 16);
  let at = 20;
  for (let i = 0; i < batch.length; i++) {
    const v = value(batch[i]!);
    if (v === null) {
      at = buf.writeInt32BE(-1, at);
    } else if (kind === 'text') {
      const length = buf.write(v as string, at + 4);
      buf.writeInt32BE(length, at);
      at += 4 + length;
    } else {
      at = buf.writeInt32BE(8, at);
      if (kind === 'real') {
        at = buf.writeDoubleBE(v as number, at);
      } else {
        // int8 as two halves: the high one signed, so a negative value is its two's complement
        const high = Math.floor((v as number) / TWO_32);
        at = buf.writeInt32BE(high, at);
        at = buf.writeUInt32BE((v as number) - high * TWO_32, at);
      }
    }
  }
  return buf;
}

function params(q: SampleQuery): unknown[] {
  return [q.stream, q.from, q.to, q.line ?? null, q.region ?? null];
}

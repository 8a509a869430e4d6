import { sampleColumnDefs } from '../sample-row.ts';

const SAMPLE_COLUMN_DEFS = sampleColumnDefs({ text: 'TEXT', integer: 'BIGINT', real: 'DOUBLE PRECISION' });

/**
 * Versioned schema migrations of the PostgreSQL store, applied in order, each in its own
 * transaction together with its row in `schema_migrations` (src/store/postgres/migrate.ts). Never
 * edit a shipped migration: append a new one. Times are BIGINT unix ms, documents JSONB.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: every repository of src/store/ports.ts, as the SQLite store has them at its migration 9
  `
  CREATE TABLE incidents (
    id TEXT PRIMARY KEY,
    key TEXT NOT NULL,
    status TEXT NOT NULL,
    severity TEXT NOT NULL,
    opened_at BIGINT NOT NULL,
    resolved_at BIGINT,
    data JSONB NOT NULL
  );
  CREATE INDEX incidents_open ON incidents (opened_at) WHERE status <> 'resolved';
  CREATE INDEX incidents_key ON incidents (key, opened_at);
  CREATE INDEX incidents_opened ON incidents (opened_at);

  CREATE TABLE timeline (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    t BIGINT NOT NULL,
    type TEXT NOT NULL,
    data JSONB NOT NULL
  );
  CREATE INDEX timeline_incident ON timeline (incident_id, id);

  CREATE TABLE audit (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    t BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    reason TEXT NOT NULL,
    data JSONB
  );
  CREATE INDEX audit_t ON audit (t);

  -- one row per (probe, seq): a resend is stored once
  CREATE TABLE samples (${SAMPLE_COLUMN_DEFS}, PRIMARY KEY (probe, seq));
  CREATE INDEX samples_stream_t ON samples (stream, t);
  CREATE INDEX samples_t ON samples (t);
  -- highest seq accepted per probe: dedup of resends across hub restarts, whatever was rolled up
  CREATE TABLE probe_seqs (probe TEXT PRIMARY KEY, seq BIGINT NOT NULL);
  -- sums, not averages, so that rolling up a minute in two passes merges exactly
  CREATE TABLE sample_rollups (
    minute BIGINT NOT NULL,
    stream TEXT NOT NULL,
    line TEXT NOT NULL,
    region TEXT NOT NULL,
    samples BIGINT NOT NULL,
    connected BIGINT NOT NULL,
    fps_sum DOUBLE PRECISION NOT NULL,
    bitrate_sum DOUBLE PRECISION NOT NULL,
    stall_ms DOUBLE PRECISION NOT NULL,
    freeze_ms DOUBLE PRECISION NOT NULL,
    max_gap_ms DOUBLE PRECISION NOT NULL,
    latency_sum DOUBLE PRECISION NOT NULL,
    latency_n BIGINT NOT NULL,
    PRIMARY KEY (stream, line, region, minute)
  );
  CREATE INDEX rollups_minute ON sample_rollups (minute);

  CREATE TABLE ticket_outbox (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    incident_id TEXT NOT NULL,
    vendor TEXT NOT NULL,
    action TEXT NOT NULL,
    payload JSONB NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    next_at BIGINT NOT NULL,
    delivered_at BIGINT,
    last_error TEXT,
    ref TEXT
  );
  CREATE INDEX ticket_outbox_pending ON ticket_outbox (next_at) WHERE status = 'pending';
  CREATE INDEX ticket_outbox_incident ON ticket_outbox (incident_id, vendor, id);
  CREATE INDEX ticket_outbox_created ON ticket_outbox (created_at);

  CREATE TABLE ticket_refs (
    incident_id TEXT NOT NULL,
    vendor TEXT NOT NULL,
    ref TEXT NOT NULL,
    opened_at BIGINT NOT NULL,
    PRIMARY KEY (incident_id, vendor)
  );

  CREATE TABLE ticket_sla (
    incident_id TEXT PRIMARY KEY,
    done BOOLEAN NOT NULL DEFAULT false,
    data JSONB NOT NULL
  );
  CREATE INDEX ticket_sla_active ON ticket_sla (incident_id) WHERE NOT done;

  CREATE TABLE silences (
    id TEXT PRIMARY KEY,
    until BIGINT NOT NULL,
    data JSONB NOT NULL
  );
  CREATE INDEX silences_until ON silences (until);

  CREATE TABLE control_state (
    stream TEXT PRIMARY KEY,
    updated_at BIGINT NOT NULL,
    data JSONB NOT NULL
  );

  -- streams added, changed and removed at run time; definition NULL: a config-file stream removed
  CREATE TABLE stream_registry (
    id TEXT PRIMARY KEY,
    definition JSONB,
    by TEXT NOT NULL,
    at BIGINT NOT NULL,
    reason TEXT NOT NULL,
    source TEXT
  );
  `,
  // 2: a cluster of hubs: who leases which shard of the streams, under which fencing epoch, and
  // which hubs are alive. Expiry is in the database's clock (now()), never a hub's.
  `
  CREATE TABLE shard_leases (
    shard INTEGER PRIMARY KEY,
    owner TEXT NOT NULL,
    -- grows by one at every change of hands, never reset (a released lease keeps its row)
    epoch BIGINT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
  );

  CREATE TABLE hub_heartbeats (
    hub TEXT PRIMARY KEY,
    expires_at TIMESTAMPTZ NOT NULL
  );
  `,
  // 3: where each hub of a cluster answers its API, so that any hub can hand a command to the
  // owner of the stream it names. A row outlives its hub: the live leases say who owns what.
  `
  CREATE TABLE hub_directory (
    hub TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
  );
  `,
  // 4: each stream's line health as its owner hub last saw it, so that every hub's console and
  // API show it; \`version\` grows with every write (the other hubs follow the changes by it).
  `
  CREATE SEQUENCE stream_health_version;
  CREATE TABLE stream_health (
    stream TEXT PRIMARY KEY,
    hub TEXT NOT NULL,
    health JSONB NOT NULL,
    version BIGINT NOT NULL
  );
  CREATE INDEX stream_health_by_version ON stream_health (version);
  `,
  // 5: the stream each audit entry is about (src/store/audit-stream.ts), so that a restart or a
  // takeover reads the controller's entries of its streams, not the newest rows the whole cluster
  // wrote; entries written before name it for the controller's rows (`stream:<id>…`) only
  `
  ALTER TABLE audit ADD COLUMN stream TEXT;
  UPDATE audit SET stream = substring(target from '^stream:(\\S+)') WHERE action LIKE 'control.%';
  CREATE INDEX audit_stream ON audit (stream, id) WHERE stream IS NOT NULL;
  `,
];

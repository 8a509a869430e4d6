/**
 * Versioned schema migrations, applied in order inside one transaction each; the applied version
 * lives in SQLite's `user_version`. Never edit a shipped migration: append a new one.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: incidents, timeline, audit, raw samples and per-minute rollups
  `
  CREATE TABLE incidents (
    id TEXT PRIMARY KEY,
    key TEXT NOT NULL,
    status TEXT NOT NULL,
    severity TEXT NOT NULL,
    opened_at INTEGER NOT NULL,
    resolved_at INTEGER,
    data TEXT NOT NULL
  );
  CREATE INDEX incidents_open ON incidents(status) WHERE status <> 'resolved';
  CREATE INDEX incidents_key ON incidents(key, opened_at);

  CREATE TABLE timeline (
    id INTEGER PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES incidents(id),
    t INTEGER NOT NULL,
    type TEXT NOT NULL,
    data TEXT NOT NULL
  );
  CREATE INDEX timeline_incident ON timeline(incident_id, id);

  CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    t INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    reason TEXT NOT NULL,
    data TEXT
  );

  CREATE TABLE samples (
    probe TEXT NOT NULL,
    seq INTEGER NOT NULL,
    region TEXT NOT NULL,
    stream TEXT NOT NULL,
    line TEXT NOT NULL,
    t INTEGER NOT NULL,
    connected INTEGER NOT NULL,
    fps REAL NOT NULL,
    bitrate_bps REAL NOT NULL,
    stall_ms REAL NOT NULL,
    freeze_ms REAL NOT NULL,
    max_gap_ms REAL NOT NULL,
    latency_ms REAL,
    data TEXT NOT NULL,
    PRIMARY KEY (probe, seq)
  ) WITHOUT ROWID;
  CREATE INDEX samples_stream_t ON samples(stream, t);
  CREATE INDEX samples_t ON samples(t);

  -- sums, not averages, so that rolling up a minute in two passes merges exactly
  CREATE TABLE sample_rollups (
    minute INTEGER NOT NULL,
    stream TEXT NOT NULL,
    line TEXT NOT NULL,
    region TEXT NOT NULL,
    samples INTEGER NOT NULL,
    connected INTEGER NOT NULL,
    fps_sum REAL NOT NULL,
    bitrate_sum REAL NOT NULL,
    stall_ms REAL NOT NULL,
    freeze_ms REAL NOT NULL,
    max_gap_ms REAL NOT NULL,
    latency_sum REAL NOT NULL,
    latency_n INTEGER NOT NULL,
    PRIMARY KEY (stream, line, region, minute)
  ) WITHOUT ROWID;
  CREATE INDEX rollups_minute ON sample_rollups(minute);
  `,
  // 2: tickets — durable outbox (one row per idempotency key incident/vendor/action), the vendor's
  //    ticket reference per (incident, vendor), and the SLA/escalation state per incident
  `
  CREATE TABLE ticket_outbox (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    incident_id TEXT NOT NULL,
    vendor TEXT NOT NULL,
    action TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    next_at INTEGER NOT NULL,
    delivered_at INTEGER,
    last_error TEXT,
    ref TEXT
  );
  CREATE INDEX ticket_outbox_pending ON ticket_outbox(next_at) WHERE status = 'pending';
  CREATE INDEX ticket_outbox_incident ON ticket_outbox(incident_id, vendor, id);

  CREATE TABLE ticket_refs (
    incident_id TEXT NOT NULL,
    vendor TEXT NOT NULL,
    ref TEXT NOT NULL,
    opened_at INTEGER NOT NULL,
    PRIMARY KEY (incident_id, vendor)
  ) WITHOUT ROWID;

  CREATE TABLE ticket_sla (
    incident_id TEXT PRIMARY KEY,
    done INTEGER NOT NULL DEFAULT 0,
    data TEXT NOT NULL
  );
  `,
  // 3: operator silences (maintenance windows), so they survive a hub restart
  `
  CREATE TABLE silences (
    id TEXT PRIMARY KEY,
    until INTEGER NOT NULL,
    data TEXT NOT NULL
  );
  CREATE INDEX silences_until ON silences(until);
  `,
  // 4: raw samples as typed columns only (the JSON copy in \`data\` doubled every row and its
  //    write cost); existing rows keep every field, read back out of their JSON
  `
  CREATE TABLE samples_v4 (
    probe TEXT NOT NULL,
    seq INTEGER NOT NULL,
    region TEXT NOT NULL,
    stream TEXT NOT NULL,
    line TEXT NOT NULL,
    t INTEGER NOT NULL,
    window_ms INTEGER NOT NULL,
    connected INTEGER NOT NULL,
    startup_ms REAL,
    latency_ms REAL,
    fps REAL NOT NULL,
    bitrate_bps REAL NOT NULL,
    width INTEGER,
    height INTEGER,
    max_gap_ms REAL NOT NULL,
    stall_ms REAL NOT NULL,
    freeze_ms REAL NOT NULL,
    av_skew_ms REAL,
    av_sync_ms REAL,
    error TEXT,
    PRIMARY KEY (probe, seq)
  ) WITHOUT ROWID;
  INSERT INTO samples_v4
    SELECT probe, seq, region, stream, line, t, json_extract(data, '$.windowMs'), connected,
           json_extract(data, '$.startupMs'), latency_ms, fps, bitrate_bps,
           json_extract(data, '$.width'), json_extract(data, '$.height'), max_gap_ms, stall_ms, freeze_ms,
           json_extract(data, '$.avSkewMs'), json_extract(data, '$.avSyncMs'), json_extract(data, '$.error')
      FROM samples;
  DROP TABLE samples;
  ALTER TABLE samples_v4 RENAME TO samples;
  CREATE INDEX samples_stream_t ON samples(stream, t);
  CREATE INDEX samples_t ON samples(t);
  `,
  // 5: raw samples and rollups moved to the two-tier sample history beside this file
  //    (src/store/sqlite/sample-history.ts; the rows are copied there before this runs)
  `
  DROP TABLE main.samples;
  DROP TABLE main.sample_rollups;
  `,
  // 6: incident history by time (the console's and API's "what happened in the last hours")
  `
  CREATE INDEX incidents_opened ON incidents(opened_at);
  `,
  // 7: the controller's state per stream (served line, pins, holds, recent switches), so a hub
  //    restart keeps them
  `
  CREATE TABLE control_state (
    stream TEXT PRIMARY KEY,
    updated_at INTEGER NOT NULL,
    data TEXT NOT NULL
  ) WITHOUT ROWID;
  `,
  // 8: the audit log by time (what streamguard and its operators did in the last hours)
  `
  CREATE INDEX audit_t ON audit(t);
  `,
  // 9: streams added, changed and removed at run time (StreamRegistry): one row per stream id, its
  //    definition as JSON (NULL: a config-file stream removed), who, when, why, the discovery source
  `
  CREATE TABLE stream_registry (
    id TEXT PRIMARY KEY,
    definition TEXT,
    by TEXT NOT NULL,
    at INTEGER NOT NULL,
    reason TEXT NOT NULL,
    source TEXT
  );
  `,
  // 10: the stream each audit entry is about (src/store/audit-stream.ts), so that a restart reads
  //     the controller's entries of its streams, not the newest rows of the whole log; entries
  //     written before name it for the controller's rows (`stream:<id>…`) only
  `
  ALTER TABLE audit ADD COLUMN stream TEXT;
  UPDATE audit SET stream = CASE WHEN instr(substr(target, 8), ' ') > 0 THEN substr(target, 8, instr(substr(target, 8), ' ') - 1) ELSE substr(target, 8) END
    WHERE action LIKE 'control.%' AND target LIKE 'stream:%';
  CREATE INDEX audit_stream ON audit(stream, id) WHERE stream IS NOT NULL;
  `,
];

import type { Ownership } from '../cluster/ownership.ts';
import { LEVEL_RANK, type Level } from '../model/severity.ts';
import type { PerStream } from '../config/schema.ts';

/**
 * A stream's state for the aggregate `streamguard_streams{state}`: `down` when every line of it is
 * down from some region, `degraded` when some line is degraded or down, `ok` when every probe sees
 * every line it reported ok, `unknown` before any sample.
 */
export const STREAM_STATES = ['ok', 'degraded', 'down', 'unknown'] as const;
export type StreamState = (typeof STREAM_STATES)[number];

/** The worst view of one (stream, line, region). */
export interface LineHealth {
  stream: string;
  line: string;
  region: string;
  level: Level;
}

/** Which streams one scrape exports series of, and the aggregates over the streams this hub owns. */
export interface StreamSelection {
  exported(stream: string): boolean;
  /** The worst view of every (stream, line, region) of the exported streams. */
  readonly lineHealth: readonly LineHealth[];
  /** The streams this hub owns, by state. */
  readonly states: Readonly<Record<StreamState, number>>;
}

export interface SelectionInput {
  mode: PerStream;
  ownership: Ownership;
  /** The streams (with their lines) and regions the config knows: nothing else is named. */
  streams: ReadonlyMap<string, ReadonlySet<string>>;
  regions: ReadonlySet<string>;
  lineViews(stream: string): readonly { line: string; region: string; level: Level }[];
  /** The streams with an open incident. */
  withIncident: ReadonlySet<string>;
}

/**
 * Takes the selection of one scrape: a stream this hub does not own is in no series (its owner
 * exports it, so sums over the hubs count it once); of the owned ones, `perStream` decides.
 */
export function selectStreams(input: SelectionInput): StreamSelection {
  const states: Record<StreamState, number> = { ok: 0, degraded: 0, down: 0, unknown: 0 };
  const exported = new Set<string>();
  const lineHealth: LineHealth[] = [];
  for (const [stream, lines] of input.streams) {
    if (!input.ownership.owns(stream)) continue;
    const worst = new Map<string, LineHealth>();
    for (const v of input.lineViews(stream)) {
      if (!lines.has(v.line) || !input.regions.has(v.region)) continue;
      const key = `${v.line}\u0000${v.region}`;
      const prev = worst.get(key);
      if (!prev) worst.set(key, { stream, line: v.line, region: v.region, level: v.level });
      else if (LEVEL_RANK[v.level] > LEVEL_RANK[prev.level]) prev.level = v.level;
    }
    const state = stateOf(lines, worst.values());
    states[state]++;
    const problem = state === 'degraded' || state === 'down' || input.withIncident.has(stream);
    if (input.mode === 'all' || (input.mode === 'problems' && problem)) {
      exported.add(stream);
      lineHealth.push(...worst.values());
    }
  }
  return { exported: (stream) => exported.has(stream), lineHealth, states };
}

function stateOf(lines: ReadonlySet<string>, views: Iterable<LineHealth>): StreamState {
  const down = new Set<string>();
  let seen = false;
  let bad = false;
  for (const v of views) {
    seen = true;
    if (v.level !== 'ok') bad = true;
    if (v.level === 'down') down.add(v.line);
  }
  if (!seen) return 'unknown';
  if (down.size === lines.size) return 'down';
  return bad ? 'degraded' : 'ok';
}

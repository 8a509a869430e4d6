import type { StreamConfig } from '../model/stream.ts';
import type { StreamRegistryEntry } from '../store/ports.ts';
import { formatPath } from './load.ts';
import { ConfigSchema, type Config } from './schema.ts';

/**
 * The streams the hub watches: the config file's streams overlaid by the run-time registry. The
 * rule an operator can predict: **for a stream id the registry holds, the registry wins** — its
 * definition replaces the file's (or adds the stream), its removal hides the file's — until the
 * entry is reset (`reset-stream`); every other id is the file's, as the file says at each reload.
 * File streams keep the file's order; streams only the registry has follow, by id.
 */
export function overlayStreams(file: readonly StreamConfig[], entries: readonly StreamRegistryEntry[]): StreamConfig[] {
  const byId = new Map(entries.map((e) => [e.id, e]));
  const fromFile = file.flatMap((s) => {
    const e = byId.get(s.id);
    if (!e) return [s];
    return e.stream === null ? [] : [e.stream];
  });
  const inFile = new Set(file.map((s) => s.id));
  const added = entries.filter((e) => !inFile.has(e.id) && e.stream !== null).map((e) => e.stream!);
  return [...fromFile, ...added];
}

/** One reason a stream set cannot run: at a path inside stream `stream` (`lines.backup.url`), or in the config when it names none. */
export interface StreamSetIssue {
  stream?: string;
  path: string;
  message: string;
}

/**
 * `config` watching `streams` instead of its own, checked as the config file's streams are (the
 * same schema, unique ids, known regions): the config, or every issue found. Only the streams are
 * taken from the check: the rest of `config` was checked when it was loaded.
 */
export function withStreams(config: Config, streams: readonly StreamConfig[]): { config: Config } | { issues: StreamSetIssue[] } {
  const r = ConfigSchema.safeParse({ ...config, streams });
  if (r.success) return { config: { ...config, streams: r.data.streams } };
  return {
    issues: r.error.issues.map((i) => {
      const path = i.path.filter((p): p is string | number => typeof p !== 'symbol');
      const stream = path[0] === 'streams' && typeof path[1] === 'number' ? streams[path[1]]?.id : undefined;
      return stream === undefined ? { path: formatPath(path), message: i.message } : { stream, path: formatPath(path.slice(2)), message: i.message };
    }),
  };
}

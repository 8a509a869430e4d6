import type { Logger } from '../common/log.ts';
import { mergePatch } from '../common/merge-patch.ts';
import { formatPath, type ConfigError } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { overlayStreams, withStreams, type StreamSetIssue } from '../config/stream-overlay.ts';
import type { DiscoveredStreams } from '../discovery/index.ts';
import { HttpError } from '../http/index.ts';
import { StreamSchema, type StreamConfig } from '../model/stream.ts';
import type { AuditLog, StreamRegistry, StreamRegistryEntry } from '../store/ports.ts';
import type { StreamActor, StreamChange, StreamChangeResult, StreamEditor } from '../ws/commands.ts';
import type { ReloadResult } from './reload.ts';

export interface RunTimeStreamsOptions {
  registry: StreamRegistry;
  /** Where discovery's changes are audited (operators' are audited by their command). */
  audit: Pick<AuditLog, 'append'>;
  clock: () => number;
  logger?: Logger;
  /** How often a registry other hubs share is checked for their changes (default 500 ms). */
  followEveryMs?: number;
}

/** Who retired a stream (or some of its lines) whose removal came from another hub without a registry entry naming them. */
const ANOTHER_HUB: StreamActor = { by: 'stream registry', reason: 'removed on another hub of the same store (its audit log names who and why)' };

/**
 * Streams that come and go while the hub runs: the config file's streams overlaid by the stream
 * registry (src/config/stream-overlay.ts). Every change — an operator's command, a discovery
 * source's — builds the next config with the new stream set and runs it through the config
 * reload (prepare every module, then commit every one: the hub, the probes, the remote probes'
 * assignments, the controller, metrics), then writes the registry; a change the reload refuses
 * changes nothing. One change at a time, in the order they came.
 *
 * With a registry several hubs share (PostgreSQL), each hub follows the others' changes: a poll of
 * the registry's version, and on a change a read of every entry, run through the same reload (the
 * hub, the probes and their assignments follow as for a change of its own). The hub that took the
 * command audited it; the others only apply it.
 */
export class RunTimeStreams implements StreamEditor, DiscoveredStreams {
  private file: Config;
  private entries: Map<string, StreamRegistryEntry>;
  private reload: ((next: Config) => ReloadResult) | undefined;
  /** Streams leaving at the reload under way because someone retired them (the hub asks: retirementOf). */
  private readonly retiring = new Map<string, StreamActor>();
  private queue: Promise<unknown> = Promise.resolve();
  /** The registry poll (a shared registry only): its next run, and the run under way. */
  private follow: { timer: NodeJS.Timeout | undefined; run: Promise<void>; stopped: boolean } | undefined;

  private constructor(
    private readonly o: RunTimeStreamsOptions,
    file: Config,
    entries: readonly StreamRegistryEntry[],
  ) {
    this.file = file;
    this.entries = new Map(entries.map((e) => [e.id, e]));
  }

  /** Reads the registry (a stored entry that is no stream refuses the start, naming it). */
  static async load(o: RunTimeStreamsOptions, file: Config): Promise<RunTimeStreams> {
    return new RunTimeStreams(o, file, await o.registry.all());
  }

  /**
   * The config to start with: the file's, overlaid by the registry. When the overlay does not fit
   * the file (e.g. a run-time stream pulls from a region the file no longer lists), the hub starts
   * with the file's streams and says why; the entries stay stored, and every later change refuses
   * with the same issues until they are fixed (`change-stream`) or dropped (`reset-stream`).
   */
  startConfig(): Config {
    const r = this.effective(this.entries);
    if ('config' in r) return r.config;
    this.o.logger?.error({ issues: r.issues }, `the run-time streams do not fit the config file; starting with the file's streams: ${describeIssues(r.issues, undefined)}`);
    return this.file;
  }

  /** The config reload to run every change through (the hub's, once it is built); starts following a shared registry. */
  attach(reload: (next: Config) => ReloadResult): void {
    this.reload = reload;
    if (this.o.registry.version) this.startFollowing(this.o.registry.version.bind(this.o.registry));
  }

  /** Stops following the shared registry (waits for a poll under way: the store may close after). */
  async stop(): Promise<void> {
    const f = this.follow;
    if (!f) return;
    f.stopped = true;
    clearTimeout(f.timer);
    await f.run;
  }

  /** Takes a new config file (SIGHUP): the next config is it overlaid by the registry, whole or not at all. */
  reloadFile(file: Config, refuse: (errors: ConfigError[]) => ReloadResult): ReloadResult {
    const r = this.effective(this.entries, file);
    if ('issues' in r) return refuse(r.issues.map((i) => (i.stream === undefined ? i : { path: 'streams', message: `run-time stream "${i.stream}": ${i.path || '(stream)'}: ${i.message}` })));
    const result = this.reloadWith(r.config);
    if (result.ok) this.file = file;
    return result;
  }

  /** Whoever is retiring `stream` in the reload under way (the hub resolves its incidents as `retired`). */
  retirementOf(stream: string): StreamActor | undefined {
    return this.retiring.get(stream);
  }

  // ---- StreamEditor: the operators' commands -----------------------------------------------------

  check(change: StreamChange): void {
    const p = this.plan(change);
    const r = this.effective(this.nextEntries(p, { by: '', reason: '' }));
    if ('issues' in r) throw new HttpError('bad_request', describeIssues(r.issues, p.id));
  }

  apply(change: StreamChange, actor: StreamActor): Promise<StreamChangeResult> {
    return this.serially(() => this.commit(this.plan(change), actor));
  }

  registry(): StreamRegistryEntry[] {
    return [...this.entries.values()];
  }

  // ---- DiscoveredStreams: the discovery sources ---------------------------------------------------

  addedBy(source: string): string[] {
    return [...this.entries.values()].filter((e) => e.source === source && e.stream !== null).map((e) => e.id);
  }

  add(source: string, definition: Record<string, unknown>, reason: string): Promise<'added' | 'taken'> {
    return this.serially(async () => {
      const id = String(definition['id']);
      if (this.entries.get(id)?.source === source) return 'added';
      if (this.current().some((s) => s.id === id)) return 'taken';
      const actor = { by: `discovery:${source}`, reason, source };
      await this.commit(this.plan({ op: 'add', definition }), actor);
      await this.o.audit.append({ t: this.o.clock(), actor: actor.by, action: 'discovery.add', target: id, reason, data: { definition } });
      return 'added';
    });
  }

  retire(source: string, id: string, reason: string): Promise<void> {
    return this.serially(async () => {
      if (this.entries.get(id)?.source !== source) return;
      const actor = { by: `discovery:${source}`, reason, source };
      await this.commit(this.plan({ op: 'remove', stream: id }), actor);
      await this.o.audit.append({ t: this.o.clock(), actor: actor.by, action: 'discovery.retire', target: id, reason });
    });
  }

  // ---- the one way a change happens ----------------------------------------------------------------

  /**
   * What a change makes of the registry entry of its stream (no side effect): HttpError 400 naming
   * the field (`lines.backup.url: …`), 404 for an unknown stream, 409 for an id already watched.
   */
  private plan(change: StreamChange): Planned {
    const current = this.current();
    const known = (id: string) => {
      const s = current.find((x) => x.id === id);
      if (!s) throw new HttpError('not_found', `no stream "${id}" (streams: ${current.map((x) => x.id).join(', ') || 'none'})`);
      return s;
    };
    switch (change.op) {
      case 'add': {
        const stream = definition(change.definition);
        if (current.some((s) => s.id === stream.id)) throw new HttpError('conflict', `stream "${stream.id}" exists (${this.origin(stream.id)}); change it with change-stream`);
        return { id: stream.id, stream, retiring: false };
      }
      case 'change': {
        const before = known(change.stream);
        if ('id' in change.changes && change.changes['id'] !== change.stream) throw new HttpError('bad_request', `id: a stream's id cannot change; remove "${change.stream}" and add the new one`);
        const stream = definition(mergePatch(before, change.changes));
        return { id: stream.id, stream, retiring: Object.keys(before.lines).some((line) => !(line in stream.lines)) };
      }
      case 'remove':
        known(change.stream);
        // A stream of the file stays removed over reloads of the file; one only the registry had is gone.
        return { id: change.stream, stream: this.file.streams.some((s) => s.id === change.stream) ? null : undefined, retiring: true };
      case 'reset':
        if (!this.entries.has(change.stream)) throw new HttpError('not_found', `stream "${change.stream}" has no run-time change (the config file's definition applies)`);
        return { id: change.stream, stream: undefined, retiring: false };
    }
  }

  /** Runs a planned change through the reload, then writes the registry (a failed write takes the reload back). */
  private async commit(p: Planned, actor: StreamActor): Promise<StreamChangeResult> {
    const next = this.nextEntries(p, actor);
    const r = this.effective(next);
    if ('issues' in r) throw new HttpError('bad_request', describeIssues(r.issues, p.id));
    if (p.retiring) this.retiring.set(p.id, actor);
    let result: ReloadResult;
    try {
      result = this.reloadWith(r.config);
    } finally {
      this.retiring.delete(p.id);
    }
    if (!result.ok) throw new HttpError('bad_request', result.errors.map((e) => `${e.path || '(config)'}: ${e.message}`).join('; '));
    // Running from here on: a file reload while the registry is written overlays this change too.
    const previous = this.entries;
    this.entries = next;
    try {
      const entry = next.get(p.id);
      if (entry) await this.o.registry.put(entry);
      else await this.o.registry.forget(p.id);
    } catch (err) {
      // Not stored, so not applied: the hub goes back to the streams it had (a retired stream's incidents stay resolved).
      this.entries = previous;
      const back = this.effective(previous);
      if ('config' in back) this.reloadWith(back.config);
      throw err;
    }
    this.o.logger?.info({ stream: p.id, by: actor.by, reason: actor.reason }, `stream "${p.id}" ${outcomeOf(p)} by ${actor.by}`);
    return { stream: p.id, origin: this.origin(p.id), changes: result.changes };
  }

  /** The registry after a planned change. */
  private nextEntries(p: Planned, actor: StreamActor): Map<string, StreamRegistryEntry> {
    const next = new Map(this.entries);
    if (p.stream === undefined) next.delete(p.id);
    else next.set(p.id, { id: p.id, stream: p.stream, by: actor.by, at: this.o.clock(), reason: actor.reason, ...(actor.source !== undefined && { source: actor.source }) });
    return next;
  }

  private effective(entries: ReadonlyMap<string, StreamRegistryEntry>, file = this.file): ReturnType<typeof withStreams> {
    return withStreams(file, overlayStreams(file.streams, [...entries.values()]));
  }

  private current(): StreamConfig[] {
    return overlayStreams(this.file.streams, [...this.entries.values()]);
  }

  private origin(id: string): StreamChangeResult['origin'] {
    const inFile = this.file.streams.some((s) => s.id === id);
    const entry = this.entries.get(id);
    if (!entry) return inFile ? 'config' : 'none';
    if (entry.stream === null) return 'removed';
    return inFile ? 'config, changed at run time' : 'run time';
  }

  // ---- the other hubs' changes (a shared registry) ----------------------------------------------

  private startFollowing(version: () => Promise<string>): void {
    const every = this.o.followEveryMs ?? 500;
    const f = (this.follow = { timer: undefined as NodeJS.Timeout | undefined, run: Promise.resolve(), stopped: false });
    let seen: string | undefined;
    let failing = false;
    const poll = async () => {
      try {
        const v = await version();
        if (v !== seen) {
          await this.serially(() => this.takeStored());
          seen = v;
        }
        failing = false;
      } catch (err) {
        // Once per outage: the store's own errors say the rest.
        if (!failing) this.o.logger?.warn({ err }, `following the shared stream registry failed; retrying every ${every} ms: ${(err as Error).message}`);
        failing = true;
      }
    };
    const next = () => {
      if (f.stopped) return;
      f.timer = setTimeout(() => {
        f.run = poll().then(next);
      }, every);
    };
    next();
  }

  /** Applies the stored registry when it differs from the running one (another hub changed it). */
  private async takeStored(): Promise<void> {
    const stored = new Map((await this.o.registry.all()).map((e) => [e.id, e]));
    if (sameEntries(stored, this.entries)) {
      this.o.logger?.debug('the shared stream registry changed, to what this hub runs already (its own change)');
      return;
    }
    const r = this.effective(stored);
    if ('issues' in r) {
      this.o.logger?.error({ issues: r.issues }, `another hub changed the run-time streams, but they do not fit this hub's config file; kept the streams it runs: ${describeIssues(r.issues, undefined)}`);
      return;
    }
    const retired = this.retiredBetween(this.current(), overlayStreams(this.file.streams, [...stored.values()]), stored);
    for (const [id, actor] of retired) this.retiring.set(id, actor);
    let result: ReloadResult;
    try {
      result = this.reloadWith(r.config);
    } finally {
      for (const id of retired.keys()) this.retiring.delete(id);
    }
    if (!result.ok) {
      this.o.logger?.error({ errors: result.errors }, `another hub changed the run-time streams, but this hub's reload refused them: ${result.errors.map((e) => `${e.path || '(config)'}: ${e.message}`).join('; ')}`);
      return;
    }
    this.entries = stored;
    this.o.logger?.info({ added: result.changes.added, removed: result.changes.removed }, 'followed a change of the run-time streams made on another hub');
  }

  /** The streams that leave (or lose lines) from `before` to `after`, each with who retired it: the stored entry's author when there is one. */
  private retiredBetween(before: readonly StreamConfig[], after: readonly StreamConfig[], stored: ReadonlyMap<string, StreamRegistryEntry>): Map<string, StreamActor> {
    const next = new Map(after.map((s) => [s.id, s]));
    const out = new Map<string, StreamActor>();
    for (const s of before) {
      const n = next.get(s.id);
      if (n && Object.keys(s.lines).every((line) => line in n.lines)) continue;
      const entry = stored.get(s.id);
      out.set(s.id, entry ? { by: entry.by, reason: entry.reason } : ANOTHER_HUB);
    }
    return out;
  }

  private reloadWith(next: Config): ReloadResult {
    if (!this.reload) throw new HttpError('unavailable', 'the hub is starting');
    return this.reload(next);
  }

  private serially<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

/** Whether two registries hold the same entries (the stored JSON's key order aside). */
function sameEntries(a: ReadonlyMap<string, StreamRegistryEntry>, b: ReadonlyMap<string, StreamRegistryEntry>): boolean {
  if (a.size !== b.size) return false;
  for (const [id, e] of a) {
    const other = b.get(id);
    if (!other || canonical(e) !== canonical(other)) return false;
  }
  return true;
}

/** JSON with every object's keys sorted. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([x], [y]) => (x < y ? -1 : 1))) : v));
}

/** A change planned: the stream's next registry entry (a definition, null: removed, undefined: no entry), and whether it retires the stream or some of its lines. */
interface Planned {
  id: string;
  stream: StreamConfig | null | undefined;
  retiring: boolean;
}

function outcomeOf(p: Planned): string {
  if (p.stream) return 'set';
  return p.stream === null || p.retiring ? 'retired' : 'handed back to the config file';
}

/** A stream definition by the config's own schema; 400 naming each bad field (`lines.backup.url: …`). */
function definition(value: unknown): StreamConfig {
  const r = StreamSchema.safeParse(value);
  if (r.success) return r.data;
  throw new HttpError(
    'bad_request',
    r.error.issues
      .slice(0, 5)
      .map((i) => `${formatPath(i.path) || '(stream)'}: ${i.code === 'unrecognized_keys' ? `unknown key(s) ${i.keys.map((k) => `"${k}"`).join(', ')}` : i.message}`)
      .join('; '),
  );
}

/** Issues of a stream set in one line: those of `stream` by their path inside it, others with their stream named. */
function describeIssues(issues: readonly StreamSetIssue[], stream: string | undefined): string {
  return issues
    .slice(0, 5)
    .map((i) => (i.stream === undefined ? `${i.path}: ${i.message}` : i.stream === stream ? `${i.path}: ${i.message}` : `stream "${i.stream}": ${i.path}: ${i.message}`))
    .join('; ');
}

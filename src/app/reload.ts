import type { ConfigError } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import type { Logger } from '../common/log.ts';
import { ReloadError, type Commit, type ReloadIssue } from '../common/reload.ts';

/**
 * Config reload (SIGHUP), whole or not at all. Every module that follows the config is a part:
 *
 *   next config (validated) ─▶ restart-only keys unchanged? ─▶ every part prepares (nothing runs
 *   differently yet; each collects its errors) ─▶ all prepared? ─▶ every part commits (swaps) ─▶ logged, metrics
 *                                     └─ any error: refused, every error logged, the running config kept
 *
 * The parts live in their modules (`prepareReload` in src/app/hub.ts, src/control, src/tickets,
 * src/auth, src/uplink, src/metrics, src/app/embedded-probes.ts); src/app/start.ts lists them.
 */

/** One module that follows the config: `section` is the YAML path its errors are reported at when they carry none. */
export interface ReloadPart {
  section: string;
  prepare(next: Config): Commit;
}

/** The part of a module the hub may run without (none when `module` is undefined). */
export function reloadPart<M>(section: string, module: M | undefined, prepare: (module: M, next: Config) => Commit): ReloadPart[] {
  return module === undefined ? [] : [{ section, prepare: (next) => prepare(module, next) }];
}

/** What a reload changed: streams by id, and the top-level config sections that differ. */
export interface ConfigChanges {
  added: string[];
  removed: string[];
  sections: string[];
}

export type ReloadResult = { ok: true; changes: ConfigChanges } | { ok: false; errors: ConfigError[] };

/** Set up once for the process (the listening socket, the data dir and its lock, the store's engine, the TLS server, the NATS consumers, the cluster's leases): a change needs a restart. */
const RESTART_ONLY: readonly (readonly [string, (c: Config) => unknown])[] = [
  ['hub.listen', (c) => c.hub.listen],
  ['hub.dataDir', (c) => c.hub.dataDir],
  ['store.postgres', (c) => c.store.postgres],
  ['hub.tls', (c) => c.hub.tls],
  ['uplink.nats', (c) => c.uplink.nats],
  ['cluster', (c) => c.cluster],
];

/** The restart-only keys that differ, one error each. */
export function restartOnlyChanges(current: Config, next: Config): ReloadIssue[] {
  return RESTART_ONLY.filter(([, get]) => JSON.stringify(get(current)) !== JSON.stringify(get(next))).map(([path]) => ({
    path,
    message: `${path} cannot change without a restart (keep it as it is, or restart the hub)`,
  }));
}

/** What differs between two configs (pure). */
export function configChanges(current: Config, next: Config): ConfigChanges {
  const before = new Set(current.streams.map((s) => s.id));
  const after = new Set(next.streams.map((s) => s.id));
  const keys = [...new Set([...Object.keys(current), ...Object.keys(next)])] as (keyof Config)[];
  return {
    added: [...after].filter((id) => !before.has(id)),
    removed: [...before].filter((id) => !after.has(id)),
    sections: keys.filter((k) => JSON.stringify(current[k]) !== JSON.stringify(next[k])),
  };
}

/** One line: `streams +b -a; sections changed: control, rules`. */
export function describeChanges(c: ConfigChanges): string {
  const parts: string[] = [];
  if (c.added.length > 0 || c.removed.length > 0) parts.push(`streams ${[...c.added.map((s) => `+${s}`), ...c.removed.map((s) => `-${s}`)].join(' ')}`);
  parts.push(c.sections.length > 0 ? `sections changed: ${c.sections.join(', ')}` : 'nothing changed');
  return parts.join('; ');
}

export interface ConfigReloaderOptions {
  parts: readonly ReloadPart[];
  clock: () => number;
  /** Every outcome, the hub start excluded (metrics: last reload successful, its time). */
  onOutcome?: (ok: boolean, at: number) => void;
  logger?: Logger;
}

export class ConfigReloader {
  private current: Config;
  private closed = false;

  constructor(
    config: Config,
    private readonly o: ConfigReloaderOptions,
  ) {
    this.current = config;
  }

  /** The config running now. */
  get config(): Config {
    return this.current;
  }

  /** No reload from now on (the hub is stopping: a part must not start anything again). */
  close(): void {
    this.closed = true;
  }

  /** Takes `next` whole (prepare every part, then commit every part) or refuses it and keeps the running config. */
  reload(next: Config): ReloadResult {
    if (this.closed) return { ok: false, errors: [{ path: '', message: 'the hub is stopping' }] };
    const restart = restartOnlyChanges(this.current, next);
    if (restart.length > 0) return this.refuse(restart);
    const commits: Commit[] = [];
    const errors: ReloadIssue[] = [];
    for (const part of this.o.parts) {
      try {
        commits.push(part.prepare(next));
      } catch (err) {
        errors.push(...(err instanceof ReloadError ? err.issues : [{ path: part.section, message: (err as Error).message }]));
      }
    }
    if (errors.length > 0) return this.refuse(errors);
    const changes = configChanges(this.current, next);
    for (const commit of commits) {
      try {
        commit();
      } catch (err) {
        // A commit must not fail (everything that can was prepared): this is a bug, and the rest still go on.
        this.o.logger?.error({ err }, 'config reload: a module failed to apply its prepared change');
      }
    }
    this.current = next;
    this.o.onOutcome?.(true, this.o.clock());
    this.o.logger?.info(changes, `config reloaded: ${describeChanges(changes)}`);
    return { ok: true, changes };
  }

  /** Refuses a reload (a config that did not validate, or did not prepare): errors logged, the running config kept. */
  refuse(errors: readonly ConfigError[]): ReloadResult {
    this.o.onOutcome?.(false, this.o.clock());
    this.o.logger?.warn({ errors }, `config reload refused (${errors.length} error(s)); the running config is kept: ${errors.map((e) => `${e.path || '(root)'}: ${e.message}`).join('; ')}`);
    return { ok: false, errors: [...errors] };
  }
}

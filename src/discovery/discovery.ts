import { createHash, timingSafeEqual } from 'node:crypto';
import type { Logger } from '../common/log.ts';
import { ReloadError, type Commit, type ReloadIssue } from '../common/reload.ts';
import { HttpError } from '../http/index.ts';
import { ID_PATTERN } from '../model/ids.ts';
import type { DiscoverySource } from './config-schema.ts';
import { discoveredId, discoveredStream, watchesApp } from './discovered-stream.ts';
import { streamListFor } from './list-sources.ts';
import { diffPublished, type PublishedStream } from './published.ts';
import type { StreamListSource } from './source.ts';

/**
 * What discovery needs of the hub's run-time streams: a source adds what is published and retires
 * what it added once it ends; it never touches a stream it did not add (the config file's, an
 * operator's, another source's).
 */
export interface DiscoveredStreams {
  /** The ids of the streams `source` added that are still there (also those added before a hub restart). */
  addedBy(source: string): string[];
  /** Adds a stream for `source`: `taken` when its id is already a stream `source` did not add. Throws when the definition is refused. */
  add(source: string, definition: Record<string, unknown>, reason: string): Promise<'added' | 'taken'>;
  /** Retires a stream `source` added (quietly: it ended, it did not fail); nothing for any other. */
  retire(source: string, id: string, reason: string): Promise<void>;
}

/** A media server's callback: a stream started or stopped being published. */
export interface PublishEvent {
  published: boolean;
  stream: PublishedStream;
}

interface Running {
  source: DiscoverySource;
  list: StreamListSource | undefined;
  hookToken: string | undefined;
  /** The secrets read from the environment (a reload with new values restarts the source). */
  secrets: string;
  timer?: NodeJS.Timeout;
  polling?: Promise<void>;
  /** Ids refused or taken at the last poll, warned about once (until they leave the list). */
  warned: Set<string>;
  /** The last poll failed (warned once per failing streak). */
  failing: boolean;
}

/**
 * The discovery sources of the config: each list source polled every `pollEvery`, each source's
 * callbacks taken (`discoveryHookRoutes`). A poll that fails changes nothing: a server that
 * cannot be read is no reason to retire its streams. Follows config reloads (`prepareReload`).
 */
export class Discovery {
  private running = new Map<string, Running>();
  private closed = false;

  /**
   * `polls(source)`: whether this hub polls the list source now (in a cluster, the one hub that
   * owns it; a hub that loses it stops at its next turn, the new owner starts at its). Callbacks
   * are taken by every hub: each arrives once, at one of them.
   */
  constructor(private readonly o: { streams: DiscoveredStreams; polls?: (source: string) => boolean; env?: NodeJS.ProcessEnv; logger?: Logger }) {}

  /** Reads the sources' secrets (ReloadError at `discovery[i].…Env` when one is not set); the commit restarts the pollers when the sources changed. */
  prepareReload(sources: readonly DiscoverySource[]): Commit {
    const env = this.o.env ?? process.env;
    const issues: ReloadIssue[] = [];
    const secret = (i: number, key: 'usernameEnv' | 'passwordEnv' | 'hookTokenEnv', name: string | undefined) => {
      if (name === undefined) return undefined;
      const value = env[name];
      if (!value) issues.push({ path: `discovery[${i}].${key}`, message: `environment variable ${name} (discovery source "${sources[i]!.name}") is not set` });
      return value;
    };
    const next = sources.map((source, i): Running => {
      const username = secret(i, 'usernameEnv', source.usernameEnv);
      const password = secret(i, 'passwordEnv', source.passwordEnv);
      const credentials = username !== undefined && password !== undefined ? { username, password } : undefined;
      const hookToken = secret(i, 'hookTokenEnv', source.hookTokenEnv);
      return { source, list: streamListFor(source, credentials), hookToken, secrets: JSON.stringify([username, password, hookToken]), warned: new Set(), failing: false };
    });
    if (issues.length > 0) throw new ReloadError(issues);
    const same = next.length === this.running.size && next.every((r) => JSON.stringify(r.source) === JSON.stringify(this.running.get(r.source.name)?.source) && r.secrets === this.running.get(r.source.name)?.secrets);
    if (same) return () => {};
    return () => {
      for (const r of this.running.values()) clearTimeout(r.timer);
      this.running = new Map(next.map((r) => [r.source.name, r]));
      for (const r of next) this.schedule(r, 0);
    };
  }

  /** A media server's callback for source `name` with its `token`: the stream added or retired before it returns (nothing for an event that is not about publishing). */
  async callback(name: string, token: string | undefined, event: PublishEvent | undefined): Promise<void> {
    const r = this.running.get(name);
    if (!r || r.hookToken === undefined) throw new HttpError('not_found', `no discovery source "${name}" taking callbacks (hookTokenEnv)`);
    if (token === undefined || !sameSecret(token, r.hookToken)) throw new HttpError('unauthorized', `wrong or missing ?token= for discovery source "${name}"`);
    if (!event || !watchesApp(r.source, event.stream.app)) return;
    const id = discoveredId(r.source, event.stream);
    if (!ID_PATTERN.test(id)) throw new HttpError('bad_request', `stream "${event.stream.app}/${event.stream.name}" gives the id "${id}", not an id (letters, digits, "_", "." or "-")`);
    if (event.published) await this.add(r, id, event.stream);
    else await this.o.streams.retire(name, id, `unpublished on ${name} (${event.stream.app}/${event.stream.name})`);
  }

  /** Stops polling; waits for a poll under way. */
  async stop(): Promise<void> {
    this.closed = true;
    for (const r of this.running.values()) clearTimeout(r.timer);
    await Promise.all([...this.running.values()].map((r) => r.polling));
  }

  private schedule(r: Running, delayMs: number): void {
    if (!r.list || this.closed) return;
    r.timer = setTimeout(() => {
      r.polling = this.poll(r).finally(() => {
        if (this.running.get(r.source.name) === r) this.schedule(r, r.source.pollEvery);
      });
    }, delayMs);
    r.timer.unref();
  }

  private async poll(r: Running): Promise<void> {
    const name = r.source.name;
    if (this.o.polls && !this.o.polls(name)) return;
    let listed: PublishedStream[];
    try {
      listed = await r.list!.list();
    } catch (err) {
      if (!r.failing) this.o.logger?.warn({ source: name, err: (err as Error).message }, `discovery source "${name}" cannot be read; its streams stay as they are until it can`);
      r.failing = true;
      return;
    }
    if (r.failing) this.o.logger?.info({ source: name }, `discovery source "${name}" can be read again`);
    r.failing = false;
    const published = new Map<string, PublishedStream>();
    for (const p of listed.filter((p) => watchesApp(r.source, p.app))) {
      const id = discoveredId(r.source, p);
      if (ID_PATTERN.test(id)) published.set(id, p);
      else this.warnOnce(r, id, `discovery source "${name}": "${p.app}/${p.name}" gives the id "${id}", not an id; skipped`);
    }
    const { appeared, disappeared } = diffPublished(published, new Set(this.o.streams.addedBy(name)));
    for (const [id, p] of appeared) if (!r.warned.has(id)) await this.add(r, id, p);
    for (const id of disappeared) await this.o.streams.retire(name, id, `no longer published on ${name}`);
    for (const id of r.warned) if (!published.has(id)) r.warned.delete(id);
  }

  private async add(r: Running, id: string, p: PublishedStream): Promise<void> {
    try {
      const out = await this.o.streams.add(r.source.name, discoveredStream(r.source, p), `published on ${r.source.name} (${p.app}/${p.name})`);
      if (out === 'taken') this.warnOnce(r, id, `discovery source "${r.source.name}": stream id "${id}" is already watched (not added by this source); skipped`);
    } catch (err) {
      this.warnOnce(r, id, `discovery source "${r.source.name}": stream "${id}" refused: ${(err as Error).message}`);
    }
  }

  private warnOnce(r: Running, id: string, message: string): void {
    if (r.warned.has(id)) return;
    r.warned.add(id);
    this.o.logger?.warn({ source: r.source.name, stream: id }, message);
  }
}

/** Compared as SHA-256 digests in constant time (a callback's token is a secret). */
function sameSecret(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}

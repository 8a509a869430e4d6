import { timingSafeEqual, createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ReloadError, type Commit, type ReloadIssue } from '../common/reload.ts';

/**
 * Operator API auth: bearer tokens with roles, shared by `/ws` and the REST API.
 *
 *   viewer    reads (state, incidents, history, audit, subscriptions)
 *   operator  reads and acts (every command)
 *
 * Secrets come from environment variables named in the config (`auth.tokens[].tokenEnv`).
 * Without any token: a loopback-only listen runs **open** (every caller is operator
 * "anonymous"); any other listen is **locked** (every authenticated call is refused).
 */

export type Role = 'viewer' | 'operator';
export interface Principal {
  name: string;
  role: Role;
}
export type AuthMode = 'tokens' | 'open' | 'locked';

export interface AuthTokenConfig {
  name: string;
  role: Role;
  tokenEnv: string;
}

export class AuthConfigError extends Error {
  override name = 'AuthConfigError';
}

export const ANONYMOUS: Principal = { name: 'anonymous', role: 'operator' };

export function isLoopback(listen: string): boolean {
  const host = listen.slice(0, listen.lastIndexOf(':')).replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

const digest = (s: string) => createHash('sha256').update(s).digest();

interface TokenEntry {
  digest: Buffer;
  principal: Principal;
}

export class Authenticator {
  private tokens: TokenEntry[];
  private currentMode: AuthMode;
  private readonly listen: string | false;
  private readonly env: NodeJS.ProcessEnv;
  private readonly reloadListeners = new Set<() => void>();

  /** Throws AuthConfigError when a token's environment variable is unset or empty. */
  constructor(opts: { tokens: readonly AuthTokenConfig[]; listen: string | false; env?: NodeJS.ProcessEnv }) {
    this.listen = opts.listen;
    this.env = opts.env ?? process.env;
    const issues: ReloadIssue[] = [];
    this.tokens = this.entries(opts.tokens, [], issues);
    if (issues.length > 0) throw new AuthConfigError(issues.map((i) => `${i.path}: ${i.message}`).join('; '));
    this.currentMode = this.modeFor(this.tokens);
  }

  get mode(): AuthMode {
    return this.currentMode;
  }

  /**
   * A config reload: reads the new tokens' secrets (throws ReloadError naming each one not set)
   * without touching what runs. The returned commit checks every call from then on against the
   * new tokens and tells the reload listeners (open sessions ask `valid` again). A token kept
   * with the same name, role and secret keeps its principal: its sessions stay.
   */
  prepareReload(tokens: readonly AuthTokenConfig[]): Commit {
    const issues: ReloadIssue[] = [];
    const next = this.entries(tokens, this.tokens, issues);
    if (issues.length > 0) throw new ReloadError(issues);
    return () => {
      this.tokens = next;
      this.currentMode = this.modeFor(next);
      for (const fn of this.reloadListeners) fn();
    };
  }

  /** Whether a principal a session authenticated as may still call (false once its token was revoked by a reload). */
  valid(p: Principal): boolean {
    if (this.currentMode === 'open') return true;
    return this.tokens.some((t) => t.principal === p);
  }

  /** Called after every reload of the tokens; returns the unsubscribe function. */
  onReload(fn: () => void): () => void {
    this.reloadListeners.add(fn);
    return () => this.reloadListeners.delete(fn);
  }

  /** The principal a token names, or undefined. Constant-time comparison of digests. */
  check(token: string | undefined): Principal | undefined {
    if (this.mode === 'open') return ANONYMOUS;
    if (this.mode === 'locked' || !token) return undefined;
    const d = digest(token);
    let found: Principal | undefined;
    for (const t of this.tokens) if (timingSafeEqual(t.digest, d)) found = t.principal;
    return found;
  }

  /** The bearer token of a request (`Authorization: Bearer X`), if any. */
  static bearer(req: IncomingMessage): string | undefined {
    const h = req.headers.authorization;
    if (!h) return undefined;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
    return m ? m[1] : undefined;
  }

  /** The entries of `tokens`, reusing the principal of a token unchanged from `previous`; an unset secret is an issue. */
  private entries(tokens: readonly AuthTokenConfig[], previous: readonly TokenEntry[], issues: ReloadIssue[]): TokenEntry[] {
    const out: TokenEntry[] = [];
    tokens.forEach((t, i) => {
      const secret = this.env[t.tokenEnv];
      if (!secret) {
        issues.push({ path: `auth.tokens[${i}].tokenEnv`, message: `environment variable ${t.tokenEnv} (token "${t.name}") is not set` });
        return;
      }
      const d = digest(secret);
      const same = previous.find((e) => e.principal.name === t.name && e.principal.role === t.role && timingSafeEqual(e.digest, d));
      out.push({ digest: d, principal: same?.principal ?? { name: t.name, role: t.role } });
    });
    return out;
  }

  private modeFor(tokens: readonly TokenEntry[]): AuthMode {
    return tokens.length > 0 ? 'tokens' : this.listen === false || isLoopback(this.listen) ? 'open' : 'locked';
  }

  /** Why a call is refused, for error messages. */
  refusal(): string {
    return this.mode === 'locked' ? 'no auth tokens configured and the hub listens beyond loopback: configure auth.tokens' : 'missing or invalid token';
  }
}

export function allows(role: Role, needed: Role): boolean {
  return needed === 'viewer' || role === 'operator';
}

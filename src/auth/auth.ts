import { timingSafeEqual, createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

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

export class Authenticator {
  readonly mode: AuthMode;
  private readonly tokens: { digest: Buffer; principal: Principal }[];

  /** Throws AuthConfigError when a token's environment variable is unset or empty. */
  constructor(opts: { tokens: readonly AuthTokenConfig[]; listen: string | false; env?: NodeJS.ProcessEnv }) {
    const env = opts.env ?? process.env;
    this.tokens = opts.tokens.map((t, i) => {
      const secret = env[t.tokenEnv];
      if (!secret) throw new AuthConfigError(`auth.tokens[${i}].tokenEnv: environment variable ${t.tokenEnv} (token "${t.name}") is not set`);
      return { digest: digest(secret), principal: { name: t.name, role: t.role } };
    });
    this.mode = this.tokens.length > 0 ? 'tokens' : opts.listen === false || isLoopback(opts.listen) ? 'open' : 'locked';
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

  /** Why a call is refused, for error messages. */
  refusal(): string {
    return this.mode === 'locked' ? 'no auth tokens configured and the hub listens beyond loopback: configure auth.tokens' : 'missing or invalid token';
  }
}

export function allows(role: Role, needed: Role): boolean {
  return needed === 'viewer' || role === 'operator';
}

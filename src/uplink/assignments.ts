import { createHash, timingSafeEqual } from 'node:crypto';
import { type Config } from '../config/schema.ts';
import { lineUrl } from '../model/stream.ts';
import type { Assignment, UplinkTarget } from '../model/probe-protocol.ts';

/** What a region's probe watches: every stream × line of the config, at the region's URL. */
export function targetsFor(config: Config, region: string): UplinkTarget[] {
  return config.streams.flatMap((s) =>
    Object.entries(s.lines).map(([line, l]) => ({ stream: s.id, line, url: lineUrl(l, region), ...(l.decode !== undefined && { decode: l.decode }), ...(l.content !== undefined && { content: l.content }) })),
  );
}

export function assignmentFor(config: Config, region: string, version: number): Assignment {
  return { version, windowMs: config.probe.windowMs, decode: config.probe.decode, content: config.probe.content, contentThresholds: config.probe.contentThresholds, targets: targetsFor(config, region), health: config.probe.health };
}

/** Same targets and options (the version aside). */
export function sameAssignment(a: Omit<Assignment, 'version'>, b: Omit<Assignment, 'version'>): boolean {
  return a.windowMs === b.windowMs && a.decode === b.decode && a.content === b.content && JSON.stringify(a.contentThresholds) === JSON.stringify(b.contentThresholds) && JSON.stringify(a.targets) === JSON.stringify(b.targets) && JSON.stringify(a.health) === JSON.stringify(b.health);
}

export interface ProbeIdentity {
  id: string;
  region: string;
}

/**
 * Probe tokens from the environment (config `uplink.probes[].tokenEnv`). Compared as SHA-256
 * digests in constant time; the token itself is never logged or kept beyond its digest.
 */
export class TokenTable {
  private readonly byDigest = new Map<string, ProbeIdentity>();
  /** Probes whose env var is unset or empty: they cannot connect (logged at start and reload). */
  readonly missing: { id: string; tokenEnv: string }[] = [];

  constructor(config: Config, env: NodeJS.ProcessEnv = process.env) {
    for (const p of config.uplink.probes) {
      const token = env[p.tokenEnv];
      if (!token) {
        this.missing.push({ id: p.id, tokenEnv: p.tokenEnv });
        continue;
      }
      this.byDigest.set(digest(token), { id: p.id, region: p.region });
    }
  }

  get size(): number {
    return this.byDigest.size;
  }

  /** The probe a bearer token belongs to, or undefined. */
  lookup(token: string | undefined): ProbeIdentity | undefined {
    if (!token) return undefined;
    const d = digest(token);
    for (const [known, who] of this.byDigest) {
      if (timingSafeEqual(Buffer.from(known, 'hex'), Buffer.from(d, 'hex'))) return who;
    }
    return undefined;
  }

  has(id: string): boolean {
    for (const who of this.byDigest.values()) if (who.id === id) return true;
    return false;
  }

  identity(id: string): ProbeIdentity | undefined {
    for (const who of this.byDigest.values()) if (who.id === id) return who;
    return undefined;
  }
}

function digest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** `Bearer <token>` from an Authorization header. */
export function bearer(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m?.[1];
}

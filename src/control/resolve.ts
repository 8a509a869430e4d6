import type { StreamConfig } from '../model/stream.ts';
import type { ServedStream } from '../actuators/builtin.ts';
import type { StreamHealth } from './types.ts';

/**
 * What `GET /api/v1/streams/:id/play[?region=R]` answers, pure.
 *
 * Without a region: the line in use (the controller's served state) and its default URL.
 * With `region=R`: the best line for viewers in R — the line in use unless it is down or
 * degraded in R (or unseen there while another line is ok), else the first line, in config
 * order, that is ok in R, else the first that is at least degraded there, else the line in use.
 * URLs are the line's `regionUrls[R]` when set. A regional fault is routed around in that region
 * only (as a vendor's scheduling does); the global line changes only through the policies.
 */

export interface PlayAnswer {
  stream: string;
  line: string;
  url: string;
  /** The line in use globally. */
  active: string;
  region?: string;
  /** Why this line: `active`, or `regional-reroute` (the active line is not ok in the region). */
  reason: 'active' | 'regional-reroute';
}

function urlOf(cfg: StreamConfig, line: string, region?: string): string {
  const l = cfg.lines[line];
  if (!l) return '';
  return (region !== undefined ? l.regionUrls?.[region] : undefined) ?? l.url;
}

export function resolvePlay(cfg: StreamConfig, served: Pick<ServedStream, 'active'>, health: StreamHealth, region?: string): PlayAnswer {
  const active = cfg.lines[served.active] ? served.active : Object.keys(cfg.lines)[0]!;
  const base = { stream: cfg.id, active, ...(region !== undefined && { region }) };
  if (region === undefined) return { ...base, line: active, url: urlOf(cfg, active), reason: 'active' };
  const lines = Object.keys(cfg.lines);
  const level = (line: string) => health[line]?.[region]?.level;
  const a = level(active);
  if (a === 'ok' || (a === undefined && !lines.some((l) => level(l) === 'ok'))) return { ...base, line: active, url: urlOf(cfg, active, region), reason: 'active' };
  const better = lines.find((l) => l !== active && level(l) === 'ok') ?? (a === 'down' ? lines.find((l) => l !== active && level(l) === 'degraded') : undefined);
  if (better === undefined) return { ...base, line: active, url: urlOf(cfg, active, region), reason: 'active' };
  return { ...base, line: better, url: urlOf(cfg, better, region), reason: 'regional-reroute' };
}

export interface FeaturesAnswer {
  stream: string;
  /** Every known feature → enabled. */
  features: Record<string, boolean>;
  updatedAt: number;
}

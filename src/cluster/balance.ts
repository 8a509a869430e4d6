import type { LeaseRow } from '../store/cluster-ports.ts';

export interface BalanceView {
  /** This hub. */
  self: string;
  shards: number;
  /** Hubs with a live heartbeat (this one counts even before its first beat shows). */
  liveHubs: readonly string[];
  /** The leases as the database has them. */
  leases: readonly LeaseRow[];
  /** The shards this hub holds and acts on now. */
  held: ReadonlySet<number>;
}

export interface BalancePlan {
  /** Shards to give up (stop acting, then release), highest first. */
  release: number[];
  /** Free shards to try to take, in the order to try them. */
  acquire: number[];
}

/**
 * This hub's share: the shards spread as evenly as the count allows, the first `shards mod hubs`
 * hubs by name getting one more. So every hub owns at most ceil(shards / hubs), and every hub
 * computing its own share from the same live set leaves no shard out.
 */
export function fairShare(self: string, liveHubs: readonly string[], shards: number): number {
  const hubs = rankedHubs(self, liveHubs);
  const base = Math.floor(shards / hubs.length);
  return hubs.indexOf(self) < shards % hubs.length ? base + 1 : base;
}

/**
 * What a hub does about its share: gives up what is above it (a hub joined: the others take
 * those), takes free shards — never leased, released or expired — up to it. Hubs start their
 * search at different places (their rank among the hubs) so that they rarely race for one shard.
 */
export function planBalance(view: BalanceView): BalancePlan {
  const share = fairShare(view.self, view.liveHubs, view.shards);
  const held = [...view.held].sort((a, b) => b - a);
  if (held.length > share) return { release: held.slice(0, held.length - share), acquire: [] };
  const taken = new Set(view.leases.filter((l) => l.live).map((l) => l.shard));
  const free = Array.from({ length: view.shards }, (_, shard) => shard).filter((s) => !taken.has(s) && !view.held.has(s));
  const hubs = rankedHubs(view.self, view.liveHubs);
  const start = Math.floor((hubs.indexOf(view.self) * view.shards) / hubs.length);
  const ordered = [...free.filter((s) => s >= start), ...free.filter((s) => s < start)];
  return { release: [], acquire: ordered.slice(0, share - held.length) };
}

/** The live hubs and this one, by name: the order every hub ranks them in. */
function rankedHubs(self: string, liveHubs: readonly string[]): string[] {
  return [...new Set([...liveHubs, self])].sort();
}

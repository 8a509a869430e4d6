import { numberOption, parseOptions } from '../../src/cli/args.ts';
import { probeSpec } from '../../src/cli/probe.ts';
import { MAX_SHARD_COUNT, NATS_SERVERS } from '../../src/model/shard.ts';

/** What a shipped remote probe's command line asks for. */
export interface ProbeArgs {
  hub: string;
  region: string;
  nats: string;
  natsShards: number;
  spillDir: string;
}

/**
 * A shipped probe command line (`probe --hub … --nats …`) read with the probe command's own option
 * spec, and held to what its worker mode requires (a ws:// hub URL, a region, NATS servers, a shard
 * count in range, a spill dir): an unknown or malformed flag fails naming it.
 */
export function probeArgs(words: readonly string[]): ProbeArgs {
  if (words[0] !== 'probe') throw new Error(`not a probe command: ${words.join(' ')}`);
  const opts = parseOptions(probeSpec, words.slice(1));
  const { hub, region, nats, 'nats-shards': natsShards, 'spill-dir': spillDir } = opts;
  if (hub === undefined || !/^wss?:$/.test(new URL(hub).protocol)) throw new Error(`--hub must be a ws(s):// URL: ${hub}`);
  if (region === undefined) throw new Error('--region is missing');
  if (nats === undefined || !NATS_SERVERS.test(nats)) throw new Error(`--nats must be nats://HOST:PORT: ${nats}`);
  const shards = numberOption('probe', 'nats-shards', natsShards, 1, MAX_SHARD_COUNT);
  if (shards === undefined) throw new Error("--nats-shards is missing (it must equal the hubs' uplink.nats.shardCount)");
  if (spillDir === undefined) throw new Error('--spill-dir is missing (samples NATS has not acked would not survive a restart)');
  return { hub, region, nats, natsShards: shards, spillDir };
}

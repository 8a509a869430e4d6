import type { DiscoverySource } from './config-schema.ts';
import { MediamtxStreamList } from './mediamtx.ts';
import { NodeMediaServerStreamList } from './node-media-server.ts';
import { SrsStreamList } from './srs.ts';
import type { StreamListSource } from './source.ts';

/** The list adapter of a source (undefined for `webhook`: callbacks only); credentials already read from the environment. */
export function streamListFor(source: DiscoverySource, credentials: { username: string; password: string } | undefined): StreamListSource | undefined {
  switch (source.type) {
    case 'node-media-server':
      return new NodeMediaServerStreamList(source.url!, credentials!);
    case 'srs':
      return new SrsStreamList(source.url!, credentials);
    case 'mediamtx':
      return new MediamtxStreamList(source.url!, credentials);
    case 'webhook':
      return undefined;
  }
}

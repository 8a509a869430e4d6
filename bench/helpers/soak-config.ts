import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { Lab, LineName, PlayProtocol, PublishProtocol } from '../../src/lab/index.ts';

/** The demo's config: the soak runs what `npm start` runs, with the lab's and the desk's addresses of this run. */
export const DEMO_CONFIG = fileURLToPath(new URL('../../config/demo.yaml', import.meta.url));
/** The desk address config/demo.yaml names (its vendor and its edge webhook). */
const DEMO_DESK = 'http://127.0.0.1:19360';

/** Which lab protocol (and so which of the line's fault proxies) a configured URL plays. */
export function protocolOf(url: string): PlayProtocol {
  if (url.startsWith('rtmp://')) return 'rtmp';
  if (url.startsWith('rtsp://')) return 'rtsp';
  const path = new URL(url).pathname;
  if (path.endsWith('.m3u8')) return 'hls';
  if (path.endsWith('.flv')) return 'http-flv';
  throw new Error(`${DEMO_CONFIG}: cannot tell which lab protocol ${url} plays (rtmp://, rtsp://, *.flv or *.m3u8)`);
}

interface RawLine {
  url: string;
  regionUrls?: Record<string, string>;
  decode?: boolean;
  [k: string]: unknown;
}
interface RawStream {
  id: string;
  lines: Record<string, RawLine>;
  [k: string]: unknown;
}

/** What the soak needs to know about the demo's setup before the lab runs. */
export interface SoakPlan {
  regions: string[];
  streams: string[];
  /** region → the protocol its probes play: each (line, region) has its own fault proxy in the lab. */
  regionProtocol: Record<string, PlayProtocol>;
  /** What the lab must publish for those protocols. */
  publish: PublishProtocol[];
  /** The first decoded line (frozen-picture checks). */
  decoded: { stream: string; line: LineName };
}

const PUBLISHED_AS: Record<PlayProtocol, PublishProtocol> = { rtmp: 'rtmp', 'http-flv': 'rtmp', hls: 'hls', rtsp: 'rtsp' };

function readDemoConfig(): { raw: Record<string, unknown>; regions: string[]; streams: RawStream[] } {
  const raw = parse(readFileSync(DEMO_CONFIG, 'utf8')) as Record<string, unknown>;
  const regions = (raw.regions ?? (raw.probe as { regions?: string[] } | undefined)?.regions) as string[] | undefined;
  if (!regions?.length) throw new Error(`${DEMO_CONFIG}: no regions`);
  return { raw, regions, streams: raw.streams as RawStream[] };
}

/** Reads config/demo.yaml: regions, streams, one protocol per region (else a path fault would not stay regional). */
export function planSoak(): SoakPlan {
  const { regions, streams } = readDemoConfig();
  const regionProtocol: Record<string, PlayProtocol> = {};
  let decoded: SoakPlan['decoded'] | undefined;
  for (const stream of streams) {
    for (const [name, line] of Object.entries(stream.lines)) {
      if (line.decode && !decoded) decoded = { stream: stream.id, line: name as LineName };
      for (const region of regions) {
        const protocol = protocolOf(line.regionUrls?.[region] ?? line.url);
        if (regionProtocol[region] !== undefined && regionProtocol[region] !== protocol) {
          throw new Error(`${DEMO_CONFIG}: region ${region} plays ${regionProtocol[region]} on one line and ${protocol} on ${stream.id}/${name}: the soak needs one protocol per region`);
        }
        regionProtocol[region] = protocol;
      }
    }
  }
  const protocols = Object.values(regionProtocol);
  if (new Set(protocols).size !== protocols.length) {
    throw new Error(`${DEMO_CONFIG}: regions share a protocol (${JSON.stringify(regionProtocol)}), so they share a fault proxy: a path fault would not stay regional`);
  }
  if (!decoded) throw new Error(`${DEMO_CONFIG}: no line has decode: true (the freeze fault needs one)`);
  return { regions, streams: streams.map((s) => s.id), regionProtocol, publish: [...new Set(protocols.map((p) => PUBLISHED_AS[p]))], decoded };
}

/**
 * config/demo.yaml, rewritten for this run: the lab's URLs (same protocol per region as the demo),
 * the desk's address, a data dir in `dir`, and one remote probe per region instead of the
 * embedded ones (so each region is its own process). Written to DIR/hub.json; returns the file
 * and, per region, the environment variable and value of its probe's token.
 */
export function writeSoakHubConfig(dir: string, lab: Lab, deskUrl: string): { file: string; probeTokens: Record<string, { env: string; token: string }> } {
  const { raw, regions, streams } = readDemoConfig();
  const labUrl = (stream: string, line: string, url: string) => lab.url(stream, line as LineName, protocolOf(url));
  // `streams` are raw's own objects: their URLs are rewritten in place before raw is copied.
  for (const stream of streams) {
    for (const [name, line] of Object.entries(stream.lines)) {
      line.url = labUrl(stream.id, name, line.url);
      if (line.regionUrls) line.regionUrls = Object.fromEntries(Object.entries(line.regionUrls).map(([r, u]) => [r, labUrl(stream.id, name, u)]));
    }
  }
  const probeTokens = Object.fromEntries(
    regions.map((region) => [region, { env: `SOAK_PROBE_TOKEN_${region.replace(/[^A-Za-z0-9]/g, '_').toUpperCase()}`, token: `soak-${region}-${Math.random().toString(36).slice(2)}` }]),
  );
  const config = {
    ...JSON.parse(JSON.stringify(raw).replaceAll(DEMO_DESK, deskUrl)),
    hub: { ...(raw.hub as object), listen: '127.0.0.1:0', dataDir: join(dir, 'data') },
    probe: { ...(raw.probe as object), embedded: false },
    uplink: { heartbeatMs: 1000, probes: regions.map((region) => ({ id: `soak-${region}`, region, tokenEnv: probeTokens[region]!.env })) },
  };
  const file = join(dir, 'hub.json');
  writeFileSync(file, JSON.stringify(config, null, 2));
  return { file, probeTokens };
}

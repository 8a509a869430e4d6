import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { decodeSetting, probeUrl, readerFor, startProbeWorker } from '../../probes/index.ts';
import { redactUrls } from '../model/redact-url.ts';
import type { Sample } from '../model/sample.ts';
import { CONTENT_MODES } from '../model/stream.ts';
import { DEFAULT_SHARD_COUNT, MAX_SHARD_COUNT, NATS_SERVERS } from '../model/shard.ts';
import { LOG_FORMAT_OPTION, numberOption, parseOptions, UsageError, type CommandSpec } from './args.ts';
import { applyLogFormat } from './log-format.ts';
import { tableHeader, tableRow } from './sample-table.ts';

export const DEFAULT_TOKEN_ENV = 'STREAMGUARD_PROBE_TOKEN';

export const probeSpec = {
  name: 'probe',
  synopsis: [
    '--url URL [--duration S] [--window MS] [--json] [--packets-only] [--content full|light|off] [--region R] [--stream S] [--line L]',
    `--hub ws[s]://HUB/probes[,ws[s]://HUB2/probes…] --region R [--token-file FILE | --token-env NAME] [--ca FILE] [--spill-dir DIR] [--buffer N] [--nats nats://HOST:4222 [--nats-shards N]]`,
  ],
  summary:
    'With --url: probe one stream (RTMP, HTTP-FLV, HLS, RTSP) once and print a Sample per window; exit 0 if it ended connected, 1 if not.\n' +
    `With --hub: a remote probe worker; it takes its assignment from the hub and streams Samples back (token from --token-file FILE, or $${DEFAULT_TOKEN_ENV}); exit 3 if the hub refuses it.`,
  options: {
    url: { type: 'string', value: 'URL', help: 'the stream to probe once' },
    'log-format': LOG_FORMAT_OPTION,
    duration: { type: 'string', value: 'S', default: '10', help: 'seconds to probe' },
    window: { type: 'string', value: 'MS', default: '1000', help: 'milliseconds per Sample' },
    json: { type: 'boolean', default: false, help: 'one JSON Sample per line instead of a live table' },
    'packets-only': { type: 'boolean', default: false, help: 'skip the decoded checks (frozen picture, A/V sync markers)' },
    content: { type: 'string', value: 'full|light|off', default: 'off', help: 'content checks: black picture, silence, loudness, true peak (full: with the decoded checks, every frame; light: instead of them, keyframes and sound only)' },
    stream: { type: 'string', value: 'S', help: "the stream id in the Samples (default: the URL's last path segment)" },
    line: { type: 'string', value: 'L', default: 'primary', help: 'the line name in the Samples' },
    region: { type: 'string', value: 'R', help: 'the region this probe watches from (one-shot default: local)' },
    hub: { type: 'string', value: 'URL[,URL…]', help: "the hub's probe endpoint, ws[s]://HUB/probes (remote probe worker); comma-separated for the hubs of a cluster: when the connected one is gone the probe moves to the next, keeping its samples and assignment" },
    'token-env': { type: 'string', value: 'NAME', help: `the environment variable holding the probe token (default: ${DEFAULT_TOKEN_ENV})` },
    'token-file': { type: 'string', value: 'FILE', help: 'a file holding the probe token (one line; keep it mode 600)' },
    token: { type: 'string', value: 'TOKEN', help: 'deprecated: the probe token itself, which shows in `ps` (use --token-file or --token-env)' },
    ca: { type: 'string', value: 'FILE', help: "a PEM CA to trust for the hub's wss:// certificate" },
    'spill-dir': { type: 'string', value: 'DIR', help: 'spill unacknowledged Samples to disk here when memory is full and at exit; resent first after a restart' },
    buffer: { type: 'string', value: 'N', help: 'unacknowledged Samples kept in memory (default: 100000)' },
    nats: { type: 'string', value: 'URL', help: "publish the Samples to NATS JetStream (nats://HOST:4222, comma-separated for several) instead of the hub's WebSocket, which keeps the assignment and heartbeats" },
    'nats-shards': { type: 'string', value: 'N', help: `streams hashed to this many shards: the hubs' uplink.nats.shardCount (default: ${DEFAULT_SHARD_COUNT})` },
  },
} satisfies CommandSpec;

/**
 * `streamguard probe --url URL [--duration S] [--json]`: a one-shot probe for humans and scripts,
 * like a blackbox exporter probe. Decoded checks (freeze, A/V sync markers) are on unless
 * --packets-only. Exit 0 if the last Sample saw the stream connected, 1 if not, 2 on bad usage.
 */
export async function probeCommand(argv: string[]): Promise<number> {
  const opts = parseOptions(probeSpec, argv);
  applyLogFormat('probe', opts['log-format']);
  if (opts.hub !== undefined) {
    if (opts.url !== undefined) throw new UsageError('streamguard probe: --url (one-shot) and --hub (remote probe worker) do not go together');
    return hubMode(opts);
  }
  if (!opts.url) throw new UsageError('streamguard probe: --url URL (one-shot) or --hub ws://HUB/probes --region R (remote probe worker) is required');
  try {
    readerFor(opts.url);
  } catch (err) {
    throw new UsageError(`streamguard probe: --url: ${err instanceof TypeError ? `not a URL: "${redactUrls(opts.url)}"` : (err as Error).message}`);
  }
  const durationS = numberOption('probe', 'duration', opts.duration, 1, 86_400) ?? 10;
  const windowMs = numberOption('probe', 'window', opts.window, 200, 60_000) ?? 1000;
  const content = CONTENT_MODES.find((mode) => mode === opts.content);
  if (!content) throw new UsageError(`streamguard probe: --content must be one of ${CONTENT_MODES.join(', ')}, got "${opts.content}"`);

  let last: Sample | undefined;
  let rows = 0;
  const print = (s: Sample) => {
    last = s;
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(s)}\n`);
    } else {
      if (rows++ % 20 === 0) process.stdout.write(`${tableHeader()}\n`);
      process.stdout.write(`${tableRow(s)}\n`);
    }
  };
  const handle = probeUrl(opts.url, {
    probe: `cli@${hostname()}`,
    region: opts.region ?? 'local',
    stream: opts.stream ?? new URL(opts.url).pathname.split('/').filter(Boolean).pop()?.replace(/\.(flv|m3u8)$/, '') ?? 'stream',
    line: opts.line,
    windowMs,
    decode: decodeSetting(!opts['packets-only'], content),
    onSample: print,
  });
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, durationS * 1000);
    const interrupt = () => {
      clearTimeout(timer);
      resolve();
    };
    process.once('SIGINT', interrupt);
    process.once('SIGTERM', interrupt);
  });
  await handle.stop();
  return last?.connected ? 0 : 1;
}

/**
 * `streamguard probe --hub ws[s]://HUB/probes[,…] --region R [--token-file FILE | --token-env NAME]
 * [--ca FILE] [--spill-dir DIR] [--buffer N]`: a remote probe worker until SIGINT/SIGTERM. The token
 * comes from a file (--token-file) or the environment ($STREAMGUARD_PROBE_TOKEN, or --token-env
 * NAME); `--token T` still works, with a deprecation warning: it shows in `ps`. Exit 0 on a signal, 3 when the hub refuses the probe (bad token, wrong region), 2 on bad usage.
 */
async function hubMode(opts: { hub?: string; region?: string; token?: string; 'token-file'?: string; 'token-env'?: string; ca?: string; 'spill-dir'?: string; buffer?: string; nats?: string; 'nats-shards'?: string }): Promise<number> {
  const hubs = opts.hub!.split(',').map((h) => h.trim());
  for (const hub of hubs) {
    let url: URL;
    try {
      url = new URL(hub);
    } catch {
      throw new UsageError(`streamguard probe: --hub: not a URL: "${redactUrls(hub)}" (expected ws://HOST:PORT/probes or wss://…, comma-separated for several hubs)`);
    }
    if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new UsageError(`streamguard probe: --hub must be a ws:// or wss:// URL, got "${redactUrls(hub)}"`);
  }
  if (!opts.region) throw new UsageError('streamguard probe: --hub needs --region R (the region this probe watches from)');
  const region = opts.region!;
  const token = probeToken(opts);
  let ca: Buffer | undefined;
  if (opts.ca !== undefined) {
    try {
      ca = readFileSync(opts.ca);
    } catch (err) {
      throw new UsageError(`streamguard probe: --ca: cannot read ${opts.ca}: ${(err as Error).message}`);
    }
  }
  const bufferSize = numberOption('probe', 'buffer', opts.buffer, 10, 10_000_000);
  if (opts.nats !== undefined && !NATS_SERVERS.test(opts.nats)) throw new UsageError(`streamguard probe: --nats must be nats://HOST:PORT (comma-separated for several), got "${redactUrls(opts.nats)}"`);
  if (opts['nats-shards'] !== undefined && opts.nats === undefined) throw new UsageError('streamguard probe: --nats-shards goes with --nats');
  const shardCount = numberOption('probe', 'nats-shards', opts['nats-shards'], 1, MAX_SHARD_COUNT);
  const skew = Number(process.env.STREAMGUARD_PROBE_CLOCK_SKEW_MS ?? 0) || 0;
  const worker = startProbeWorker({
    hub: hubs,
    region,
    token,
    ...(ca && { ca }),
    ...(opts['spill-dir'] !== undefined && { spillDir: opts['spill-dir'] }),
    ...(bufferSize !== undefined && { bufferSize }),
    ...(skew !== 0 && { clockSkewMs: skew }),
    ...(opts.nats !== undefined && { nats: { url: opts.nats, ...(shardCount !== undefined && { shardCount }) } }),
  });
  const samplesTo = opts.nats !== undefined ? `, samples over NATS ${redactUrls(opts.nats)}` : '';
  process.stdout.write(`streamguard probe: region ${region}, reporting to ${hubs.map(redactUrls).join(' or ')}${samplesTo}${opts['spill-dir'] ? `, spill ${opts['spill-dir']}` : ''}\n`);
  const outcome = await new Promise<{ signal: string } | { code: number; reason: string }>((resolve) => {
    const onSignal = (sig: NodeJS.Signals) => resolve({ signal: sig });
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    void worker.refused.then(resolve);
  });
  if ('signal' in outcome) {
    process.stdout.write(`streamguard probe: ${outcome.signal}, stopping (probes, last acks)\n`);
    await worker.stop();
    return 0;
  }
  process.stderr.write(`streamguard probe: the hub refused this probe (close ${outcome.code}): ${outcome.reason}\n`);
  await worker.stop(0);
  return 3;
}

/** The probe token: from --token-file, --token (deprecated: it shows in `ps`) or the environment; a usage error names what is missing. */
function probeToken(opts: { token?: string; 'token-file'?: string; 'token-env'?: string }): string {
  const given = [opts.token !== undefined && '--token', opts['token-file'] !== undefined && '--token-file', opts['token-env'] !== undefined && '--token-env'].filter(Boolean);
  if (given.length > 1) throw new UsageError(`streamguard probe: ${given.join(' and ')} do not go together: give the token one way`);
  const file = opts['token-file'];
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new UsageError(`streamguard probe: --token-file: cannot read ${file}: ${(err as Error).message}`);
    }
    const token = text.trim();
    if (!token) throw new UsageError(`streamguard probe: --token-file: ${file} is empty`);
    return token;
  }
  if (opts.token !== undefined) {
    process.stderr.write('streamguard probe: --token is deprecated: the token shows in `ps`; use --token-file FILE or --token-env NAME\n');
    return opts.token;
  }
  const envName = opts['token-env'] ?? DEFAULT_TOKEN_ENV;
  const token = process.env[envName];
  if (!token) throw new UsageError(`streamguard probe: no probe token: set ${envName} (or --token-file FILE, --token-env NAME)`);
  return token;
}

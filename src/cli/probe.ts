import { hostname } from 'node:os';
import { readerFor } from '../../probes/readers/registry.ts';
import { probeUrl } from '../../probes/prober.ts';
import type { Sample } from '../model/sample.ts';
import { numberOption, parseOptions, UsageError } from './args.ts';
import { tableHeader, tableRow } from './sample-table.ts';

/**
 * `streamguard probe --url URL [--duration S] [--json]`: a one-shot probe for humans and scripts,
 * like a blackbox exporter probe. Decoded checks (freeze, A/V sync markers) are on unless
 * --packets-only. Exit 0 if the last Sample saw the stream connected, 1 if not, 2 on bad usage.
 */
export async function probeCommand(argv: string[]): Promise<number> {
  const opts = parseOptions('probe', argv, {
    url: { type: 'string' },
    region: { type: 'string', default: 'local' },
    duration: { type: 'string', default: '10' },
    window: { type: 'string', default: '1000' },
    json: { type: 'boolean', default: false },
    'packets-only': { type: 'boolean', default: false },
    stream: { type: 'string' },
    line: { type: 'string', default: 'primary' },
  });
  if (!opts.url) throw new UsageError('streamguard probe: --url URL is required');
  try {
    readerFor(opts.url);
  } catch (err) {
    throw new UsageError(`streamguard probe: --url: ${err instanceof TypeError ? `not a URL: "${opts.url}"` : (err as Error).message}`);
  }
  const durationS = numberOption('probe', 'duration', opts.duration, 1, 86_400) ?? 10;
  const windowMs = numberOption('probe', 'window', opts.window, 200, 60_000) ?? 1000;

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
    region: opts.region,
    stream: opts.stream ?? new URL(opts.url).pathname.split('/').filter(Boolean).pop()?.replace(/\.(flv|m3u8)$/, '') ?? 'stream',
    line: opts.line,
    windowMs,
    decode: !opts['packets-only'],
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

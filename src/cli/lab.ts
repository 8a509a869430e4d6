import { startControlServer, startLab, type Lab } from '../lab/index.ts';
import { numberOption, parseOptions, UsageError } from './args.ts';

const PROTOCOLS = ['rtmp', 'hls', 'rtsp'] as const;
type Protocol = (typeof PROTOCOLS)[number];

/** Prints where every lab line can be played and how to inject faults. */
export function describeLab(lab: Lab, controlUrl: string): string {
  const out: string[] = [];
  for (const stream of lab.describe().streams) {
    for (const [line, info] of Object.entries(stream.lines)) {
      out.push(`${stream.id}/${line}`);
      for (const [protocol, url] of Object.entries(info.urls)) out.push(`  ${protocol.padEnd(8)} ${url}`);
    }
  }
  out.push('', `control: ${controlUrl}/lab   (faults: streamguard fault --lab ${controlUrl} --stream S --line primary --kind kill)`);
  return out.join('\n');
}

/** `streamguard lab`: real streams with fault injection, until interrupted. */
export async function labCommand(argv: string[]): Promise<number> {
  const opts = parseOptions('lab', argv, {
    streams: { type: 'string', default: 'show1,call1' },
    protocols: { type: 'string', default: PROTOCOLS.join(',') },
    'control-port': { type: 'string', default: '8090' },
  });
  const ids = opts.streams.split(',').filter(Boolean);
  const protocols = opts.protocols.split(',').filter(Boolean);
  const unknown = protocols.filter((p) => !(PROTOCOLS as readonly string[]).includes(p));
  if (ids.length === 0) throw new UsageError('streamguard lab: --streams needs at least one stream id');
  if (unknown.length > 0) throw new UsageError(`streamguard lab: --protocols: unknown protocol(s) ${unknown.join(', ')} (expected ${PROTOCOLS.join(', ')})`);
  const controlPort = numberOption('lab', 'control-port', opts['control-port'], 0, 65_535) ?? 8090;

  const lab = await startLab({ streams: ids.map((id) => ({ id, protocols: protocols as Protocol[] })) });
  const control = await startControlServer(lab, controlPort);
  process.stdout.write(`${describeLab(lab, control.url)}\n`);
  await untilSignal();
  await control.close();
  await lab.stop();
  return 0;
}

/** `streamguard fault --lab URL --stream S --line L --kind K [...]`: one fault through the lab's HTTP control. */
export async function faultCommand(argv: string[]): Promise<number> {
  const opts = parseOptions('fault', argv, {
    lab: { type: 'string', default: 'http://127.0.0.1:8090' },
    stream: { type: 'string' },
    line: { type: 'string', default: 'primary' },
    kind: { type: 'string' },
    ms: { type: 'string' },
    fps: { type: 'string' },
    protocol: { type: 'string' },
    mode: { type: 'string' },
    'bytes-per-second': { type: 'string' },
    'duration-ms': { type: 'string' },
    clear: { type: 'boolean', default: false },
  });
  const base = opts.lab.replace(/\/$/, '');
  if (opts.clear) return report(await fetch(`${base}/lab/faults`, { method: 'DELETE' }));
  if (!opts.kind) throw new UsageError('streamguard fault: --kind is required (kill, start, pause, freeze, avShift, fps, hlsDelay, proxy) or --clear');
  const num = (name: string, v: string | undefined) => numberOption('fault', name, v, -1e9, 1e9);
  // The lab validates the body with its own schema and names any bad field in its answer.
  const body = {
    stream: opts.stream,
    line: opts.line,
    kind: opts.kind,
    ms: num('ms', opts.ms),
    fps: num('fps', opts.fps),
    protocol: opts.protocol,
    mode: opts.mode,
    bytesPerSecond: num('bytes-per-second', opts['bytes-per-second']),
    durationMs: num('duration-ms', opts['duration-ms']),
  };
  return report(await fetch(`${base}/lab/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }));
}

async function report(res: Response): Promise<number> {
  const text = await res.text();
  (res.ok ? process.stdout : process.stderr).write(`${text}\n`);
  return res.ok ? 0 : 1;
}

export function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}

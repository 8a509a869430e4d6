import { startControlServer, startLab, type Lab } from '../lab/index.ts';
import { PUBLISH_PROTOCOLS, type PublishProtocol } from '../lab/fault-schema.ts';
import { numberOption, parseOptions, UsageError, type CommandSpec } from './args.ts';

export const labSpec = {
  name: 'lab',
  synopsis: ['[--streams a,b] [--protocols rtmp,hls,rtsp] [--control-port N]'],
  summary:
    'Real local streams on 127.0.0.1 (a primary and a backup line each, with fault proxies) until SIGINT/SIGTERM; ' +
    'prints every line\'s URLs and the HTTP control that injects faults (`streamguard fault`).',
  options: {
    streams: { type: 'string', value: 'a,b', default: 'show1,call1', help: 'the stream ids' },
    protocols: { type: 'string', value: 'P,...', default: PUBLISH_PROTOCOLS.join(','), help: `what each line publishes (${PUBLISH_PROTOCOLS.join(', ')})` },
    'control-port': { type: 'string', value: 'N', default: '8090', help: 'the HTTP control port (0: a free port)' },
  },
} satisfies CommandSpec;

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
  const opts = parseOptions(labSpec, argv);
  const ids = opts.streams.split(',').filter(Boolean);
  const protocols = opts.protocols.split(',').filter(Boolean);
  const unknown = protocols.filter((p) => !(PUBLISH_PROTOCOLS as readonly string[]).includes(p));
  if (ids.length === 0) throw new UsageError('streamguard lab: --streams needs at least one stream id');
  if (unknown.length > 0) throw new UsageError(`streamguard lab: --protocols: unknown protocol(s) ${unknown.join(', ')} (expected ${PUBLISH_PROTOCOLS.join(', ')})`);
  const controlPort = numberOption('lab', 'control-port', opts['control-port'], 0, 65_535) ?? 8090;

  const lab = await startLab({ streams: ids.map((id) => ({ id, protocols: protocols as PublishProtocol[] })) });
  const control = await startControlServer(lab, controlPort);
  process.stdout.write(`${describeLab(lab, control.url)}\n`);
  await untilSignal();
  await control.close();
  await lab.stop();
  return 0;
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

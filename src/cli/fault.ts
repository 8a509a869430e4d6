import { numberOption, parseOptions, UsageError, type CommandSpec } from './args.ts';
import { faultForms, faultKinds } from './fault-kinds.ts';

export const DEFAULT_LAB_URL = 'http://127.0.0.1:8090';

export const faultSpec = {
  name: 'fault',
  synopsis: ['[--lab URL] --stream S [--line L] --kind K [--ms N] [--fps N] [--protocol P --mode M] [--jitter-ms N] [--bytes-per-second N] [--kbps N] [--duration-ms N]', '[--lab URL] --clear'],
  summary: "Inject one fault into a running lab (`streamguard lab` or `streamguard demo`) through its HTTP control, or end them all with --clear. The lab checks the fault and names any bad field; exit 1 if it refuses.",
  options: {
    lab: { type: 'string', value: 'URL', default: DEFAULT_LAB_URL, help: "the lab's control URL" },
    stream: { type: 'string', value: 'S', help: 'the lab stream' },
    line: { type: 'string', value: 'L', default: 'primary', help: 'primary or backup' },
    kind: { type: 'string', value: 'K', help: `the fault: ${faultKinds().join(', ')}` },
    ms: { type: 'string', value: 'N', help: 'milliseconds (pause, freeze, hlsDelay, proxy delay/stall); avShift: audio lead, negative = audio late' },
    fps: { type: 'string', value: 'N', help: 'the frame rate to publish at (fps)' },
    protocol: { type: 'string', value: 'P', help: "the played protocol whose fault proxy misbehaves (proxy)" },
    mode: { type: 'string', value: 'M', help: 'how the proxy misbehaves (proxy)' },
    'jitter-ms': { type: 'string', value: 'N', help: 'each chunk held --ms ± up to this many ms, in order (proxy delay; ≤ --ms)' },
    'bytes-per-second': { type: 'string', value: 'N', help: 'the throttled rate (proxy throttle)' },
    kbps: { type: 'string', value: 'N', help: 'the capped video rate in kbit/s (lowbitrate)' },
    'duration-ms': { type: 'string', value: 'N', help: 'end the fault by itself after this long' },
    clear: { type: 'boolean', default: false, help: 'end every fault and restore every line' },
  },
  more: ['fault kinds and what each takes (from the lab\'s fault schema):', ...faultForms().map((form) => `  ${form}`)].join('\n'),
} satisfies CommandSpec;

/** `streamguard fault --lab URL --stream S --line L --kind K [...]`: one fault through the lab's HTTP control. */
export async function faultCommand(argv: string[]): Promise<number> {
  const opts = parseOptions(faultSpec, argv);
  const base = opts.lab.replace(/\/$/, '');
  if (opts.clear) return report(await fetch(`${base}/lab/faults`, { method: 'DELETE' }));
  if (!opts.kind) throw new UsageError(`streamguard fault: --kind is required (${faultKinds().join(', ')}) or --clear`);
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
    jitterMs: num('jitter-ms', opts['jitter-ms']),
    bytesPerSecond: num('bytes-per-second', opts['bytes-per-second']),
    kbps: num('kbps', opts.kbps),
    durationMs: num('duration-ms', opts['duration-ms']),
  };
  return report(await fetch(`${base}/lab/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }));
}

async function report(res: Response): Promise<number> {
  const text = await res.text();
  (res.ok ? process.stdout : process.stderr).write(`${text}\n`);
  return res.ok ? 0 : 1;
}

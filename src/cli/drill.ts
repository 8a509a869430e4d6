import { hostname, userInfo } from 'node:os';
import { drill, formatDrillReport } from '../tickets/index.ts';
import { parseOptions, UsageError, type CommandSpec } from './args.ts';
import { loadConfigOrReport } from './config-file.ts';

export const drillSpec = {
  name: 'drill',
  synopsis: ['--config FILE [--only vendor,...] [--by NAME]'],
  summary: 'Send a clearly marked test through every vendor and escalation channel of a config; report which answered and how fast. Exit 0 only if every channel answered.',
  options: {
    config: { type: 'string', short: 'c', value: 'FILE', help: 'the YAML config naming the vendors and escalation channels' },
    only: { type: 'string', value: 'VENDOR,...', help: 'drill only these vendors (comma-separated names)' },
    by: { type: 'string', value: 'NAME', help: 'who runs the drill, as the test message says (default: user@host)' },
  },
} satisfies CommandSpec;

/**
 * `streamguard drill --config FILE [--only a,b]`: sends a clearly marked test through every
 * configured vendor and escalation channel and reports which answered and how fast, so contact
 * channels are tested before the night they are needed. Exit 0 only if every channel answered.
 */
export async function drillCommand(argv: string[]): Promise<number> {
  const opts = parseOptions(drillSpec, argv);
  if (!opts.config) throw new UsageError('streamguard drill: --config FILE is required');
  const config = loadConfigOrReport(opts.config);
  if (!config) return 1;
  if (config.vendors.length === 0) {
    process.stderr.write(`${opts.config}: no vendors configured: nothing to drill\n`);
    return 1;
  }
  const only = opts.only?.split(',').filter(Boolean);
  const unknown = only?.filter((name) => !config.vendors.some((v) => v.name === name)) ?? [];
  if (unknown.length > 0) throw new UsageError(`streamguard drill: --only: no vendor named ${unknown.map((n) => `"${n}"`).join(', ')}`);
  const report = await drill(
    { vendors: config.vendors, escalation: config.escalation, roles: config.roles },
    { by: opts.by ?? `${userInfo().username}@${hostname()}`, ...(only && { only }) },
  );
  process.stdout.write(`${formatDrillReport(report)}\n`);
  return report.ok ? 0 : 1;
}

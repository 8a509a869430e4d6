import { UsageError } from './args.ts';
import { BACKUP_SUMMARY, backupCommand } from './backup.ts';
import { checkCommand } from './check.ts';
import { demoCommand } from './demo.ts';
import { drillCommand } from './drill.ts';
import { faultCommand, labCommand } from './lab.ts';
import { probeCommand } from './probe.ts';
import { runCommand } from './run.ts';

type Command = (argv: string[]) => number | Promise<number>;

const commands: Record<string, { summary: string; run: Command }> = {
  check: { summary: 'check --config FILE          validate a config; exit 1 listing every error', run: checkCommand },
  probe: {
    summary: 'probe --url URL [--duration S] [--json] [--packets-only] [--region R] [--window MS]\n      probe one stream once and print a Sample per window (exit 0 if it ends connected)\n' +
      '  probe --hub ws[s]://HUB/probes --region R [--token-env NAME] [--ca FILE] [--spill-dir DIR] [--buffer N]\n' +
      '      remote probe worker: takes its assignment from the hub, streams Samples back (token from $STREAMGUARD_PROBE_TOKEN)',
    run: probeCommand,
  },
  run: { summary: 'run --config FILE [--data-dir DIR] [--listen HOST:PORT]\n      run the hub: in-process probes, detector, incidents, store, REST API, remote probes on /probes (SIGHUP reloads)', run: runCommand },
  demo: { summary: 'demo [--config config/demo.yaml] [--no-scenario]\n      what `npm start` runs: lab + hub + probes in three regions + a fault scenario', run: demoCommand },
  backup: { summary: BACKUP_SUMMARY, run: backupCommand },
  drill: { summary: 'drill --config FILE [--only vendor,...]\n      send a marked test through every vendor and escalation channel; report who answered', run: drillCommand },
  lab: { summary: 'lab [--streams a,b] [--protocols rtmp,hls,rtsp] [--control-port N]\n      real local streams (primary + backup lines) with fault injection over HTTP', run: labCommand },
  fault: { summary: 'fault --lab URL --stream S --line L --kind K [--ms N] [--protocol P --mode M] | --clear\n      inject a fault into a running lab', run: faultCommand },
};

function usage(): string {
  return ['usage: streamguard <command> [options]', '', ...Object.values(commands).map((c) => `  ${c.summary}`)].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${usage()}\n`);
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) throw new UsageError(`streamguard: unknown command "${name}"\n${usage()}`);
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`streamguard: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = 1;
    }
  },
);

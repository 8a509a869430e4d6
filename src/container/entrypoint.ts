/**
 * The image's ENTRYPOINT: runs `streamguard COMMAND …` in this process (so the container's signals
 * reach the hub), except that the hub refuses to start without a config file mounted at its
 * `--config` path. The image ships no default config on purpose: an example's placeholder stream
 * hosts would open P0 incidents for streams that do not exist.
 */
import { statSync } from 'node:fs';
import { hubCommand } from './command.ts';

/** Why `file` is not a config the hub can start from, or undefined (the hub reports other read errors itself). */
function missingConfig(file: string): string | undefined {
  try {
    // `docker run -v HOST:FILE` with a HOST path that does not exist mounts an empty directory.
    if (statSync(file).isDirectory()) return `${file} is a directory, not a config file (the host path given to -v does not exist)`;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return `no config at ${file}`;
  }
  return undefined;
}

const hub = hubCommand(process.argv.slice(2));
const problem = hub && missingConfig(hub.config);
if (problem) {
  process.stderr.write(
    `streamguard run: ${problem}: mount yours with -v /path/to/config.yaml:${hub.config}:ro ` +
      `(format: config/example.yaml; validate it with \`streamguard check --config FILE\`)\n`,
  );
  process.exitCode = 1;
} else {
  await import('../cli/main.ts');
}

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { RUN_OPTIONS } from '../cli/run-options.ts';

/** The image's ENTRYPOINT script, as it appears on the container's command line. */
const ENTRYPOINT_SCRIPT = 'src/container/entrypoint.ts';

/** A hub command line (`run --config FILE [--listen HOST:PORT]`): the config it runs with and the listen override. */
export interface HubCommand {
  config: string;
  listen?: string;
}

/**
 * The hub's config and listen override when `words` (a container command: ENTRYPOINT's arguments)
 * run the hub; undefined for other commands (`probe …`) and for a `run` the hub itself rejects
 * (it reports the usage error).
 */
export function hubCommand(words: readonly string[]): HubCommand | undefined {
  if (words[0] !== 'run') return undefined;
  let values;
  try {
    ({ values } = parseArgs({ args: words.slice(1), options: RUN_OPTIONS, strict: true, allowPositionals: false }));
  } catch {
    return undefined;
  }
  if (values.config === undefined) return undefined;
  return { config: values.config, ...(values.listen !== undefined && { listen: values.listen }) };
}

/**
 * The container command of process `pid` (PID 1 in a container, or an init such as `docker run
 * --init` whose command line holds the entrypoint's): the words after the entrypoint script.
 */
export function containerCommandOf(pid: number): string[] {
  const words = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, -1);
  const at = words.findIndex((w) => w.endsWith(ENTRYPOINT_SCRIPT));
  if (at < 0) throw new Error(`process ${pid} does not run ${ENTRYPOINT_SCRIPT}: ${words.join(' ')}`);
  return words.slice(at + 1);
}

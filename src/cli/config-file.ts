import { ConfigInvalidError, formatConfigError, loadConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';

/** Loads a config for a command; on errors prints each with its YAML path and returns undefined. */
export function loadConfigOrReport(file: string): Config | undefined {
  try {
    return loadConfig(file);
  } catch (err) {
    if (!(err instanceof ConfigInvalidError)) throw err;
    for (const e of err.errors) process.stderr.write(`${formatConfigError(file, e)}\n`);
    process.stderr.write(`${file}: ${err.errors.length} error(s)\n`);
    return undefined;
  }
}

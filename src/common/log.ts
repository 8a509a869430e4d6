import { pino } from 'pino';
import { prettyLine } from './log-pretty.ts';

/** `auto`: human lines when stderr is a terminal, JSON lines (one object per line) otherwise. */
export const LOG_FORMATS = ['auto', 'pretty', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];
export const LOG_FORMAT_ENV = 'STREAMGUARD_LOG_FORMAT';

export function isLogFormat(value: string): value is LogFormat {
  return (LOG_FORMATS as readonly string[]).includes(value);
}

// Synchronous writes: a line logged right before process.exit is not lost in a buffer.
const stderr = pino.destination({ dest: 2, sync: true });
const writeJson = (line: string) => void stderr.write(line);
let write = writeJson;

/**
 * One structured logger; components take a child with their own bindings. A binding key is set
 * once per line: a child of a logger that already has a `component` names itself with `sub`.
 * Logs go to stderr so stdout stays clean for machine output (`probe --json`). The format can
 * change after children exist (a CLI option is parsed after modules load): the destination
 * below forwards each line to the current writer.
 */
export const log = pino(
  {
    level: process.env.STREAMGUARD_LOG_LEVEL ?? (process.env.VITEST ? 'silent' : 'info'),
    base: undefined,
  },
  { write: (line: string) => write(line) },
);
export type Logger = typeof log;

/** Switches every logger (the root and all its children) to `format`. */
export function setLogFormat(format: LogFormat): void {
  const pretty = format === 'pretty' || (format === 'auto' && process.stderr.isTTY === true);
  if (!pretty) {
    write = writeJson;
    return;
  }
  const toLine = prettyLine({ colorize: process.stderr.isTTY === true && process.stderr.hasColors() });
  write = (line) => void stderr.write(toLine(line));
}

const fromEnv = process.env[LOG_FORMAT_ENV];
setLogFormat(fromEnv !== undefined && isLogFormat(fromEnv) ? fromEnv : 'auto');

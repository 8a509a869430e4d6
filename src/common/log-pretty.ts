import { prettyFactory } from 'pino-pretty';

/** Bindings that name who logs: shown as the line's prefix, not repeated as fields. */
const WHO_KEYS = new Set(['component', 'sub', 'region', 'stream', 'line', 'protocol']);
/** Shown by pino-pretty itself (time, level), as the message, or as the error at the end. */
const OWN_KEYS = new Set(['level', 'time', 'msg', 'err']);

const present = (v: unknown): v is string | number => typeof v === 'string' || typeof v === 'number';

/** A field value as a terminal reader wants it: bare when it is one word, else quoted or compact JSON. */
function fieldValue(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  return typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
}

/** The error's message inline; its stack (the part after the message) indented on the lines below. */
function errorText(err: unknown): string {
  if (typeof err !== 'object' || err === null) return ` err=${fieldValue(err)}`;
  const { message, stack } = err as { message?: unknown; stack?: unknown };
  const frames = typeof stack === 'string' ? stack.split('\n').filter((l) => /^\s+at /.test(l)) : [];
  return ` err=${fieldValue(message ?? err)}${frames.map((l) => `\n    ${l.trim()}`).join('')}`;
}

/**
 * The part of a human log line after time and level:
 *   probe cn-east show1/primary [rtmp]: line down (refused) detail="…"
 * who (component[/sub], region, stream/line, [protocol]), the message, then the other fields as
 * key=value, then the error.
 */
export function humanMessage(record: Record<string, unknown>): string {
  const { component, sub, region, stream, line, protocol, msg, err } = record;
  const who = [[component, sub].filter(present).join('/'), present(region) ? region : '', [stream, line].filter(present).join('/'), present(protocol) ? `[${protocol}]` : '']
    .filter((part) => part !== '')
    .join(' ');
  const fields = Object.entries(record)
    .filter(([k, v]) => !WHO_KEYS.has(k) && !OWN_KEYS.has(k) && v !== undefined)
    .map(([k, v]) => ` ${k}=${fieldValue(v)}`);
  const text = String(msg ?? '');
  return `${who === '' ? text : `${who}: ${text}`}${fields.join('')}${err === undefined ? '' : errorText(err)}`;
}

/**
 * Turns one pino JSON line into one human line: `13:45:02 WARN: <humanMessage>` with the time of
 * day in UTC. pino-pretty parses and colours; the object is not dumped below the line.
 */
export function prettyLine(opts: { colorize: boolean }): (jsonLine: string) => string {
  return prettyFactory({
    colorize: opts.colorize,
    translateTime: 'UTC:HH:MM:ss',
    // A custom time prettifier also drops pino-pretty's [brackets] around the time.
    customPrettifiers: { time: (t) => String(t) },
    hideObject: true,
    // pino-pretty would show a pid binding as "(1234)" after the level; it is a field like the others.
    ignore: 'pid,hostname',
    messageFormat: (record) => humanMessage(record),
  });
}

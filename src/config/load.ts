import { readFileSync } from 'node:fs';
import { isAlias, isMap, isSeq, LineCounter, parseDocument, visit, type Node } from 'yaml';
import type { z } from 'zod';
import { ConfigSchema, type Config } from './schema.ts';

/** One problem in a config file, located by its YAML path and, where known, line:column. */
export interface ConfigError {
  path: string;
  message: string;
  line?: number;
  col?: number;
}

export class ConfigInvalidError extends Error {
  constructor(
    readonly file: string,
    readonly errors: ConfigError[],
  ) {
    super(`${file}: ${errors.length} config error(s)\n${errors.map((e) => formatConfigError(file, e)).join('\n')}`);
    this.name = 'ConfigInvalidError';
  }
}

export function formatConfigError(file: string, e: ConfigError): string {
  const where = e.line !== undefined ? `${file}:${e.line}:${e.col ?? 1}` : file;
  return `${where} ${e.path || '(root)'}: ${e.message}`;
}

/** `streams[2].lines.backup.url` from a zod/yaml path. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? String(part) : `.${String(part)}`))
    .join('');
}

/**
 * yaml's bound on how many nodes one alias may expand to; a config sharing a line or two by alias
 * stays far below it, chained aliases (a "billion laughs") exceed it instead of exhausting memory.
 */
const MAX_ALIAS_COUNT = 100;

/** Parses and validates YAML text; returns every error rather than the first. */
export function parseConfig(text: string): { config?: Config; errors: ConfigError[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    return {
      errors: doc.errors.map((err) => {
        const pos = lineCounter.linePos(err.pos[0]);
        return { path: '', message: `YAML syntax: ${err.message.split('\n')[0]}`, line: pos?.line, col: pos?.col };
      }),
    };
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) ?? {};
  } catch (err) {
    // yaml throws (rather than reporting) when aliases expand past maxAliasCount.
    const pos = firstAliasAt(doc.contents, lineCounter);
    const message = /alias count/i.test((err as Error).message)
      ? `too many aliases: expanding them exceeds ${MAX_ALIAS_COUNT} nodes per alias (aliases of aliases grow exponentially)`
      : `YAML: ${(err as Error).message}`;
    return { errors: [{ path: '', message, line: pos?.line, col: pos?.col }] };
  }
  const result = ConfigSchema.safeParse(data);
  if (result.success) return { config: result.data, errors: [] };
  return { errors: result.error.issues.map((issue) => locate(issue, doc.contents, lineCounter)) };
}

export function loadConfig(file: string): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigInvalidError(file, [{ path: '', message: `cannot read: ${(err as Error).message}` }]);
  }
  const { config, errors } = parseConfig(text);
  if (!config) throw new ConfigInvalidError(file, errors);
  return config;
}

function locate(issue: z.core.$ZodIssue, root: unknown, lines: LineCounter): ConfigError {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  const node = nodeAt(root, path);
  const pos = node?.range ? lines.linePos(node.range[0]) : undefined;
  const message = issue.code === 'unrecognized_keys' ? `unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}` : issue.message;
  return { path: formatPath(path), message, line: pos?.line, col: pos?.col };
}

function firstAliasAt(root: Node | null, lines: LineCounter): { line: number; col: number } | undefined {
  let offset: number | undefined;
  visit(root, {
    Alias(_key, node) {
      if (isAlias(node) && node.range) offset = node.range[0];
      return offset === undefined ? undefined : visit.BREAK;
    },
  });
  return offset === undefined ? undefined : lines.linePos(offset);
}

/** The deepest YAML node along `path` (a missing key points at its parent). */
function nodeAt(root: unknown, path: readonly (string | number)[]): Node | undefined {
  let node = root as Node | undefined;
  for (const key of path) {
    let next: unknown;
    if (isMap(node)) next = node.get(key, true);
    else if (isSeq(node)) next = node.get(key as number, true);
    if (!next || typeof next !== 'object') break;
    node = next as Node;
  }
  return node;
}

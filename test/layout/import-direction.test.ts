import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The import graph points one way: wiring (cli, app) → interfaces → domains → store → common →
 * model (docs/architecture.md "Layout"). A folder may import its own files and folders of a lower
 * rank, never one of the same or a higher rank. probes/ is the region probe worker: it imports only
 * src/model and src/common, and src/ reaches it only through probes/index.ts, from the wiring.
 */
const RANKS: Record<string, number> = {
  model: 0,
  common: 1,
  http: 2,
  store: 2,
  auth: 3,
  detect: 3,
  actuators: 3,
  ingest: 4,
  history: 4,
  incidents: 4,
  control: 5,
  tickets: 5,
  discovery: 5,
  cluster: 3,
  config: 6,
  metrics: 7,
  uplink: 7,
  ws: 7,
  console: 7,
  lab: 8,
  app: 9,
  cli: 10,
  container: 11,
};
const PROBES_MAY_IMPORT = ['model', 'common'];
const MAY_IMPORT_PROBES = ['app', 'cli'];

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'public' ? [] : sources(p);
    return /\.(ts|mts|mjs)$/.test(e.name) && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** Relative import specifiers of a file (static, dynamic and `export … from`). */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)) out.push(m[1]!);
  return out;
}

/** `src/<folder>/…` → folder; `probes/…` → 'probes'. */
function area(root: string, path: string): string | undefined {
  const rel = relative(root, path).split('/');
  if (rel[0] === 'probes') return 'probes';
  if (rel[0] === 'src' && rel.length > 2) return rel[1];
  return undefined;
}

function violations(root: string): string[] {
  const found: string[] = [];
  for (const file of [...sources(join(root, 'src')), ...sources(join(root, 'probes'))]) {
    const from = area(root, file);
    if (!from) {
      found.push(`${relative(root, file)}: not inside a layer folder`);
      continue;
    }
    for (const spec of imports(file)) {
      const target = resolve(dirname(file), spec);
      const to = area(root, target);
      const where = `${relative(root, file)} → ${relative(root, target)}`;
      if (to === undefined) found.push(`${where}: imports outside src/ and probes/`);
      else if (to === from) continue;
      else if (from === 'probes') {
        if (!PROBES_MAY_IMPORT.includes(to)) found.push(`${where}: probes/ may import only src/${PROBES_MAY_IMPORT.join(', src/')}`);
      } else if (to === 'probes') {
        if (!MAY_IMPORT_PROBES.includes(from)) found.push(`${where}: only src/${MAY_IMPORT_PROBES.join(', src/')} use the probe worker`);
        else if (relative(root, target) !== 'probes/index.ts') found.push(`${where}: use probes/index.ts, the probe worker's public surface`);
      } else {
        const a = RANKS[from];
        const b = RANKS[to];
        if (a === undefined) found.push(`${where}: src/${from} has no rank in this test (add it)`);
        else if (b === undefined) found.push(`${where}: src/${to} has no rank in this test (add it)`);
        else if (b >= a) found.push(`${where}: ${from} (rank ${a}) must not import ${to} (rank ${b})`);
      }
    }
  }
  return found.sort();
}

describe('import direction', () => {
  it('every import in src/ and probes/ points down the layers', () => {
    expect(violations(repo)).toEqual([]);
  });

  it('reports an import that points back up, and a probe reaching into the hub', () => {
    const root = mkdtempSync(join(tmpdir(), 'sg-layout-'));
    try {
      const put = (path: string, text: string) => {
        mkdirSync(dirname(join(root, path)), { recursive: true });
        writeFileSync(join(root, path), text);
      };
      put('src/app/hub.ts', "import { step } from '../detect/detector.ts';\n");
      put('src/detect/detector.ts', "import type { Hub } from '../app/hub.ts';\nexport const step = 1;\n");
      put('probes/prober.ts', "import { step } from '../src/detect/detector.ts';\n");
      put('src/cli/main.ts', "import { startProber } from '../../probes/prober.ts';\n");
      expect(violations(root)).toEqual([
        'probes/prober.ts → src/detect/detector.ts: probes/ may import only src/model, src/common',
        "src/cli/main.ts → probes/prober.ts: use probes/index.ts, the probe worker's public surface",
        'src/detect/detector.ts → src/app/hub.ts: detect (rank 3) must not import app (rank 9)',
      ]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

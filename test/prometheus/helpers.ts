import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../src/lab/ports.ts';

/** config/prometheus/ of this checkout. */
export const PROM_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'config', 'prometheus');

function onPath(bin: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Why the Prometheus tests cannot run here, or undefined when prometheus and promtool are on PATH. */
export function missingPrometheus(): string | undefined {
  const missing = ['prometheus', 'promtool'].filter((b) => !onPath(b));
  if (missing.length === 0) return undefined;
  const why = `${missing.join(' and ')} not on PATH: run \`bash scripts/install-prometheus.sh\` (Debian's prometheus package, needs root or sudo)`;
  console.warn(`test/prometheus skipped: ${why}`);
  return why;
}

export { freePort };

/** Polls `fn` until it returns a value other than undefined, or throws with `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 20_000, everyMs = 200): Promise<T> {
  const until = performance.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (performance.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

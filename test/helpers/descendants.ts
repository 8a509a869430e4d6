import { readdirSync, readFileSync } from 'node:fs';

/** The parent PID of every running process, from /proc (Linux). */
function parents(): Map<number, number> {
  const out = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name may contain spaces and parentheses: fields resume after the last ')'.
      out.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // Exited while we looked.
    }
  }
  return out;
}

/** Every process below `pid` (children, their children, ...), now. */
export function descendants(pid: number): number[] {
  const ppid = parents();
  const found: number[] = [];
  const walk = (parent: number) => {
    for (const [child, p] of ppid) {
      if (p === parent) {
        found.push(child);
        walk(child);
      }
    }
  };
  walk(pid);
  return found;
}

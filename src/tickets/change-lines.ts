import type { TimelineEntry } from '../model/incident.ts';
import { TICKET_ACTORS } from './evidence.ts';

/** How far an incident reaches, in words, after a scope change to it. */
function reach(scope: string, regions: readonly string[]): string {
  switch (scope) {
    case 'stream':
      return 'every line of the stream, in every region';
    case 'line':
      return `every region sees it${regions.length > 0 ? ` (${regions.join(', ')})` : ''}`;
    case 'regional':
      return `only ${regions.length > 0 ? regions.join(', ') : 'some regions'} ${regions.length === 1 ? 'sees' : 'see'} it`;
    case 'single-probe':
      return 'one probe only, the others in its region see it fine';
    default:
      return scope;
  }
}

/** What an incident change means for the vendor, one line each (ticket machinery and notes left out). */
export function changeLines(entries: readonly TimelineEntry[]): string[] {
  const out: string[] = [];
  for (const e of entries) {
    const d = e.data;
    const by = typeof d.by === 'string' ? d.by : undefined;
    if (by !== undefined && TICKET_ACTORS.has(by)) continue;
    switch (e.type) {
      case 'severity-raised':
      case 'severity-lowered':
        out.push(`severity ${String(d.from)} → ${String(d.to)}`);
        break;
      case 'scope-changed':
        out.push(`scope ${String(d.from)} → ${String(d.to)}: ${reach(String(d.to), Array.isArray(d.regions) ? d.regions.map(String) : [])}`);
        break;
      case 'region-seen':
        out.push(`region ${String(d.region)} now affected (${String(d.level)})`);
        break;
      case 'action':
        out.push(`${by ?? 'controller'}: ${String(d.action)}${d.to !== undefined ? ` → ${String(d.to)}` : ''}`);
        break;
      case 'mitigating':
        out.push(`mitigating${by ? ` (${by})` : ''}${d.action !== undefined ? `: ${String(d.action)}` : ''}`);
        break;
      case 'acknowledged':
        out.push(`acknowledged by ${by ?? 'operator'}`);
        break;
      case 'escalated':
        out.push(`escalated by ${by ?? 'controller'} (${String(d.reason)}): at least ${String(d.severity)}${d.why !== undefined ? ` — ${String(d.why)}` : ''}`);
        break;
      default:
        break;
    }
  }
  return out;
}

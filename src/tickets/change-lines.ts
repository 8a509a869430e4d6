import type { TimelineEntry } from '../model/incident.ts';
import { TICKET_ACTORS } from './evidence.ts';

/** What an incident change means for the vendor, one line each (ticket machinery and notes left out). */
export function changeLines(entries: readonly TimelineEntry[]): string[] {
  const out: string[] = [];
  for (const e of entries) {
    const d = e.data;
    const by = typeof d.by === 'string' ? d.by : undefined;
    if (by !== undefined && TICKET_ACTORS.has(by)) continue;
    switch (e.type) {
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

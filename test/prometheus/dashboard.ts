import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DASHBOARD = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'config', 'grafana', 'streamguard.json');

interface Panel { id?: number; type: string; title: string; targets?: { expr: string; refId: string }[]; panels?: Panel[] }
export interface Dashboard { uid: string; title: string; panels: Panel[]; templating: { list: { name: string; query: unknown }[] }; annotations: { list: { expr?: string }[] } }

export function loadDashboard(): Dashboard {
  return JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
}

/** Every PromQL expression of the dashboard (panel targets and annotations), with the panel title. */
export function dashboardExprs(d: Dashboard): { title: string; expr: string }[] {
  const out: { title: string; expr: string }[] = [];
  const walk = (ps: Panel[]) => {
    for (const p of ps) {
      for (const t of p.targets ?? []) out.push({ title: p.title, expr: t.expr });
      if (p.panels) walk(p.panels);
    }
  };
  walk(d.panels);
  for (const a of d.annotations.list) if (a.expr) out.push({ title: 'annotation', expr: a.expr });
  return out;
}

/** Grafana's variables replaced the way it does when "All" is selected, so Prometheus can run the query. */
export function substitute(expr: string): string {
  return expr
    .replaceAll('$__rate_interval', '1m')
    .replaceAll('$__interval', '15s')
    .replaceAll('$__range', '1h')
    .replaceAll('$job', 'streamguard')
    .replace(/\$(stream|line|region)\b/g, '.*');
}

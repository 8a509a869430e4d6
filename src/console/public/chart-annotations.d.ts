// Types of chart-annotations.js for the TypeScript tests (the browser loads the .js as it is).
import type { AuditRowLike } from './action-words.js';
import type { IncidentRecordLike } from './history-model.js';
export interface ChartMarker { t: number; kind: 'incident' | 'resolved' | 'switch'; severity?: string; label: string }
export function chartMarkers(incidentRecords: readonly IncidentRecordLike[], actions: readonly AuditRowLike[], range: { from: number; to: number }): ChartMarker[];
export function placeLabels(x: readonly number[], widths: readonly number[], right: number, gap?: number): { lane: number; start: number }[];

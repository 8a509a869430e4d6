// Types of chart-series.js for the TypeScript tests (the browser loads the .js as it is).
export interface SampleLike { probe: string; seq: number; line: string; region: string; t: number; [field: string]: unknown }
export interface RollupLike { minute: number; line: string; region: string; samples: number; latencyAvgMs: number | null; stallMs: number; fpsAvg: number; bitrateAvg: number }
export interface ChartDef { field: string; title: string; unit: string; always?: boolean; scale?: number; rollup?: (r: RollupLike) => number | null }
export interface ChartTable { chart: ChartDef; t: number[]; views: string[]; columns: (number | null)[][] }
export const CHART_RANGES: Readonly<Record<'15m' | '1h' | '6h', { ms: number; stepMs: number; minutes?: boolean }>>;
export const CHARTS: readonly ChartDef[];
export function viewKey(p: { line: string; region: string }): string;
export function chartTables(samples: readonly SampleLike[], rollups: readonly RollupLike[], range: { from: number; to: number; stepMs: number }): ChartTable[];
export function mergeSamples<S extends SampleLike>(held: readonly S[], fresh: readonly S[], from: number): S[];

// Types of overview.js for the TypeScript tests.
import type { CellLevel, GridModel } from './grid-model.js';
export interface OverviewCounts {
  streams: Record<CellLevel, number>;
  incidents: Record<'P0' | 'P1' | 'P2' | 'P3', number>;
  probes: { blind: number; impaired: number };
}
export function streamLevel(model: GridModel, stream: string, regions?: string[]): CellLevel;
export function overviewCounts(model: GridModel): OverviewCounts;
export function pageTitle(counts: OverviewCounts): string;
export function visibleStreams(model: GridModel, view: { problemsOnly: boolean; query: string; sort: 'severity' | 'id' }): string[];
export function pageOf<T>(list: readonly T[], page: number, size: number): { items: T[]; page: number; pages: number };

// Types of cell-view.js for the TypeScript tests.
import type { CellLevel } from './grid-model.js';
export const LEVEL_ICON: Record<CellLevel, string>;
export function problemFigure(sample: Record<string, unknown> | undefined): string | undefined;
export function cellView(level: CellLevel, sample: Record<string, unknown> | undefined, since: number | undefined, now: number): { icon: string; text: string; detail: string };

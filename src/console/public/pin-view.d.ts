// Types of pin-view.js for the TypeScript tests.
import type { GridModel } from './grid-model.js';
export function pinView(model: GridModel, stream: string): { line: string; by: string; reason: string; at: number; until: number; down: string[] } | undefined;

/** The controller's public surface (docs/control.md). */
export { ControlConfigSchema, DEFAULT_POLICY, policyFor, type ControlConfig, type Policy } from './config-schema.ts';
export { Controller, type ControllerMetrics, type ControllerOptions } from './controller.ts';
export { ACTION_DELAY_BUCKETS } from './action-stats.ts';
export type { ActionListener, ActionPhase } from './listeners.ts';
export type { Clock, EventSource, IncidentSource, LineHealthSource } from './ports.ts';
export { detectorLineHealth } from './health.ts';
export { evaluateStream, initialStreamState } from './evaluate.ts';
export { controlRoutes, type ControlSource } from './routes.ts';
export { resolvePlay, type FeaturesAnswer, type PlayAnswer } from './resolve.ts';
export type { Decision, StreamControlState, StreamHealth } from './types.ts';

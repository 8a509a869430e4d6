/** The controller's public surface (docs/control.md). */
export { ControlConfigSchema, DEFAULT_POLICY, policyFor, type ControlConfig, type Policy } from './config-schema.ts';
export { Controller, ACTION_DELAY_BUCKETS, type ActionListener, type ControllerMetrics, type ControllerOptions } from './controller.ts';
export { evaluateStream, initialStreamState } from './evaluate.ts';
export { controlRawRoutes, controlRoutes, type ControlSource } from './http.ts';
export { resolvePlay, type FeaturesAnswer, type PlayAnswer } from './resolve.ts';
export type { Decision, StreamControlState, StreamHealth } from './types.ts';

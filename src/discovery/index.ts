/** Streams that come and go: media servers' published streams, polled or called back (docs/operations.md, "Streams at run time"). */
export { Discovery, type DiscoveredStreams } from './discovery.ts';
export { discoveryHookRoutes } from './webhook.ts';
export { DiscoveryConfigSchema, type DiscoverySource } from './config-schema.ts';

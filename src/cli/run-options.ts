/**
 * The options of `streamguard run`. Their own module so the container's entrypoint and health
 * check read a hub command line the way the hub does without loading the hub.
 */
export const RUN_OPTIONS = {
  config: { type: 'string', short: 'c' },
  'data-dir': { type: 'string' },
  listen: { type: 'string' },
} as const;

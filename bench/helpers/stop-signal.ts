/**
 * Runs `stop` once on the first SIGINT or SIGTERM, then exits 130. `on`, not `once`: the child
 * registry (src/common/children.ts) re-raises the signal — and the process dies at once — when its
 * handler is the only listener left, and a `once` listener is removed before it runs, so a bench
 * with `once` died before its cleanup and left its servers running.
 */
export function onStopSignal(name: string, stop: () => Promise<void> | void): void {
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return; // a second Ctrl-C while stopping: the stop is under way
      stopping = true;
      process.stderr.write(`${name}: ${signal}: stopping\n`);
      void Promise.resolve()
        .then(stop)
        .finally(() => process.exit(130));
    });
  }
}

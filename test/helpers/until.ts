/** Polls `fn` until it returns something other than undefined/false, or throws after `timeoutMs`. */
export async function until<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10_000, everyMs = 50): Promise<T> {
  // A monotonic deadline: this machine's wall clock is stepped (CI saw Date.now() run 8 s ahead of
  // performance.now() within one test), and a wait must last its own time, not the clock's.
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * `fn` run once on the next turn of the event loop, however often it is asked for before then: the
 * uplinks' pumps, asked for by every sample, ack and reconnect, send what is there in one go.
 */
export function oncePerTurn(fn: () => void): () => void {
  let scheduled = false;
  return () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      fn();
    });
  };
}

/**
 * What a hub must own to act on a thing (src/cluster/ownership.ts): a stream's incidents, events
 * and effects belong to the stream; a probe's own incidents (blind, impaired), which have no
 * stream, to the pseudo-stream `probe:<id>`, hashed to a shard as a stream is: exactly one hub
 * raises them. Likewise one hub polls each discovery source: the owner of `discovery:<name>`.
 */
export function probeStream(probe: string): string {
  return `probe:${probe}`;
}

/** The pseudo-stream whose owner polls the discovery source `source` (two pollers would both add a stream). */
export function discoveryStream(source: string): string {
  return `discovery:${source}`;
}

/** The probe of a pseudo-stream made by probeStream, or undefined for a real stream. */
export function probeOfStream(stream: string): string | undefined {
  return stream.startsWith('probe:') ? stream.slice('probe:'.length) : undefined;
}

/** The stream an incident or an incident event belongs to: its own, else its probe's pseudo-stream. */
export function ownedStreamOf(item: { stream?: string | undefined; probe?: string | undefined }): string | undefined {
  if (item.stream !== undefined) return item.stream;
  return item.probe === undefined ? undefined : probeStream(item.probe);
}

/**
 * What a reader reports, stamped on ARRIVAL in this process. `at` is a monotonic clock in ms
 * (performance.now()), so window math never jumps with NTP; wall time is only used for Sample.t.
 */
export type MediaKind = 'video' | 'audio';

export interface PacketEvent {
  at: number;
  kind: MediaKind;
  /** Presentation time from the container, ms; absent when the packet carries none. */
  ptsMs?: number;
  size: number;
  key: boolean;
}

/** Decoded-frame facts from the reader (keyframes only, to stay cheap). */
export interface ResolutionEvent {
  at: number;
  width: number;
  height: number;
}

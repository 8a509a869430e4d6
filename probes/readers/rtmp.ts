import { streamPackets } from '../ffprobe-stream.ts';
import type { Reader } from './reader.ts';

/** RTMP: packets every 40 ms at 25 fps, so 1 s of silence is already a dead line. */
export const rtmpReader: Reader = {
  protocol: 'rtmp',
  timing: { stallThresholdMs: 250, watchdogMs: 1000, startupTimeoutMs: 5000 },
  inputArgs: () => [],
  open(target, _originalUrl, sink) {
    return streamPackets(this.inputArgs(target), target.url, sink);
  },
};

import { streamPackets } from '../ffprobe-stream.ts';
import type { Reader } from './reader.ts';

/**
 * RTSP over UDP: the lab servers refuse TCP interleaving (461). The first packet waits for a
 * keyframe (~2.3 s measured), hence the longer startup timeout.
 */
export const rtspReader: Reader = {
  protocol: 'rtsp',
  timing: { stallThresholdMs: 250, watchdogMs: 1000, startupTimeoutMs: 8000 },
  inputArgs: () => ['-rtsp_transport', 'udp'],
  open(target, _originalUrl, sink) {
    return streamPackets(this.inputArgs(target), target.url, sink);
  },
};

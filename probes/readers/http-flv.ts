import { httpInputArgs, streamPackets } from '../ffprobe-stream.ts';
import type { Reader } from './reader.ts';

/** HTTP-FLV: one long HTTP response carrying FLV tags; same cadence as RTMP. */
export const httpFlvReader: Reader = {
  protocol: 'http-flv',
  timing: { stallThresholdMs: 250, watchdogMs: 1000, startupTimeoutMs: 5000 },
  inputArgs: (target) => httpInputArgs(target),
  open(target, _originalUrl, sink) {
    return streamPackets(this.inputArgs(target), target.url, sink);
  },
};

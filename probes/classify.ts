import type { ProbeError } from '../src/model/sample.ts';

/** Why a reader session ended, as the line prober saw it. */
export type EndCause =
  | 'exit' // the ffprobe process exited by itself
  | 'watchdog' // media stopped arriving (ffprobe does not exit when a publisher dies)
  | 'startup-timeout' // connected but no video within the startup timeout
  | 'stale'; // HLS playlist stopped advancing

export interface SessionEnd {
  cause: EndCause;
  /** Last stderr lines of the reader process, oldest first. */
  stderr: readonly string[];
  code?: number | null;
  signal?: string | null;
  sawVideo: boolean;
  sawAudio: boolean;
  /** HTTP status seen by our own requests (HLS playlist polling). */
  httpStatus?: number;
}

// Ordered: the first matching rule wins, most specific first. Patterns are real ffmpeg 4.x
// messages (see test/probes/classify.test.ts for the captured lines).
const STDERR_RULES: ReadonlyArray<[RegExp, ProbeError]> = [
  [/Connection refused/i, 'refused'],
  [/Server returned 40[4]|404 Not Found|Server returned 410/i, 'not-found'],
  [/Name or service not known|Temporary failure in name resolution|Failed to resolve|nodename nor servname/i, 'unreachable'],
  [/No route to host|Network is unreachable|Host is unreachable/i, 'unreachable'],
  [/Invalid data found when processing input|could not find codec parameters|Invalid NAL unit|non-existing PPS/i, 'decode'],
  // ffmpeg names 400, 401, 403 and 404; any other status is "4XX Client Error" or "5XX Server Error reply".
  [/Server response validating failed|Handshake|Server returned [45](\d\d|XX)|461 Unsupported transport|method [A-Z]+ failed/i, 'protocol'],
  [/timed out|Operation timed out/i, 'timeout'],
  [/Connection reset by peer|End of file|Broken pipe/i, 'eof'],
];

export function classifyEnd(end: SessionEnd): ProbeError {
  if (end.httpStatus === 404 || end.httpStatus === 410) return 'not-found';
  for (const line of end.stderr) {
    for (const [pattern, error] of STDERR_RULES) if (pattern.test(line)) return error;
  }
  switch (end.cause) {
    case 'watchdog':
    case 'stale':
      return 'timeout';
    case 'startup-timeout':
      return end.sawAudio && !end.sawVideo ? 'no-video' : 'timeout';
    case 'exit':
      // A clean exit after media is the server ending the stream; before media it never started.
      if (end.sawAudio && !end.sawVideo) return 'no-video';
      if (end.sawVideo && !end.signal) return 'eof';
      return 'unknown';
  }
}

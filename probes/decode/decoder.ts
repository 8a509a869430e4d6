import { createInterface } from 'node:readline';
import { ffmpegPath } from '../../src/media/binaries.ts';
import { spawnChild } from '../child.ts';
import { FAST_PROBE_ARGS } from '../ffprobe-stream.ts';
import { DecodedAnalyzer, type DecodedEvent, type DecodeThresholds } from './analyzer.ts';
import { MetadataLineParser } from './metadata-lines.ts';

export interface DecoderOptions {
  thresholds: DecodeThresholds;
  /**
   * Audio samples per astats block (48 kHz: 48 → 1 ms onset resolution, as measured; 480 →
   * 10 ms at a tenth of the stderr lines).
   */
  audioBlockSamples: number;
}

/**
 * The filter graph. Values are printed with av_log (stderr) instead of `file=pipe:N`, whose
 * avio buffer held them back ~1.5 s. Two key-filtered metadata filters print 4 lines per video
 * frame instead of the ~27 signalstats keys.
 */
export function decodeFilterGraph(audio: boolean, audioBlockSamples: number): string {
  const video = '[0:v]signalstats,metadata=mode=print:key=lavfi.signalstats.YAVG,metadata=mode=print:key=lavfi.signalstats.YDIF';
  if (!audio) return video;
  return `${video};[0:a]asetnsamples=n=${audioBlockSamples},astats=metadata=1:reset=1,ametadata=mode=print:key=lavfi.astats.Overall.RMS_level`;
}

/** ffmpeg's complaint when the graph asks for audio the input does not have. */
const NO_AUDIO = /matches no streams/;

export interface DecoderHandle {
  close(): Promise<void>;
}

/**
 * A separate ffmpeg per line that decodes the stream for freeze and A/V sync markers. It is an
 * add-on to the packet reader: its failures are logged and retried by its owner, they never
 * mark the line down. Retries once without audio when the stream has none.
 */
export function startDecoder(
  inputArgs: readonly string[],
  url: string,
  opts: DecoderOptions,
  onEvent: (e: DecodedEvent) => void,
  onExit: (stderrTail: string[]) => void,
): DecoderHandle {
  let closed = false;
  let current: { stop(): Promise<void> } | undefined;

  const run = (audio: boolean): void => {
    const args = [
      '-hide_banner',
      '-nostats',
      '-loglevel',
      'info',
      ...FAST_PROBE_ARGS,
      ...inputArgs,
      '-i',
      url,
      '-filter_complex',
      decodeFilterGraph(audio, opts.audioBlockSamples),
      '-f',
      'null',
      '-',
    ];
    const child = spawnChild(ffmpegPath, args, ['ignore', 'ignore', 'pipe']);
    current = child;
    const parser = new MetadataLineParser();
    const analyzer = new DecodedAnalyzer(opts.thresholds);
    const tail: string[] = [];
    let missingAudio = false;
    if (child.proc.stderr) {
      createInterface({ input: child.proc.stderr }).on('line', (line) => {
        const value = parser.parse(line);
        if (value) {
          const event = analyzer.push(value);
          if (event) onEvent(event);
          return;
        }
        if (NO_AUDIO.test(line)) missingAudio = true;
        tail.push(line);
        if (tail.length > 10) tail.shift();
      });
    }
    void child.exited.then(() => {
      if (closed) return;
      if (audio && missingAudio) run(false);
      else onExit(tail);
    });
  };
  run(true);
  return {
    close: async () => {
      closed = true;
      await current?.stop();
    },
  };
}

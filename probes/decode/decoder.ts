import { createInterface } from 'node:readline';
import { ffmpegPath } from '../../src/common/binaries.ts';
import { runningPids, spawnChild, type Child } from '../../src/common/children.ts';
import { FAST_PROBE_ARGS } from '../ffprobe-stream.ts';
import { DecodedAnalyzer, defaultThresholds, type DecodedEvent, type DecodeThresholds } from './analyzer.ts';
import { MetadataLineParser } from './metadata-lines.ts';

export interface DecoderOptions {
  thresholds: DecodeThresholds;
  /**
   * Audio samples per astats block. Default 480 (10 ms at 48 kHz): measured ffmpeg 9 % + Node
   * 2.4 % of a core per stream, against 14 % + 3 % for 48 (1 ms). 10 ms is far below what
   * viewers notice (BT.1359: +45/−125 ms), so the cheaper block is the default.
   */
  audioBlockSamples: number;
}

/** What a caller configures: `true` for defaults, or overrides. */
export type DecodeSetting = boolean | { audioBlockSamples?: number; thresholds?: Partial<DecodeThresholds> };

/** Resolves a setting to full options; undefined when decoding is off. */
export function decoderOptions(setting: DecodeSetting | undefined): DecoderOptions | undefined {
  if (!setting) return undefined;
  const o = setting === true ? {} : setting;
  return { audioBlockSamples: o.audioBlockSamples ?? 480, thresholds: { ...defaultThresholds, ...o.thresholds } };
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
  /** Its ffmpeg, while running. */
  pids(): number[];
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
  let current: Child | undefined;

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
    const child = spawnChild(ffmpegPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
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
    pids: () => (current ? runningPids(current) : []),
  };
}

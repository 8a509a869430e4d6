import { createInterface } from 'node:readline';
import { DEFAULT_CONTENT_THRESHOLDS, type ContentThresholds } from '../../src/model/content-thresholds.ts';
import type { ContentMode } from '../../src/model/stream.ts';
import { ffmpegPath } from '../../src/common/binaries.ts';
import { runningPids, spawnChild, type Child } from '../../src/common/children.ts';
import { FAST_PROBE_ARGS } from '../ffprobe-stream.ts';
import { DecodedAnalyzer, defaultThresholds, type AnalyzerScope, type DecodedEvent, type DecodeThresholds } from './analyzer.ts';
import { blackframeThreshold, parseBlackframeLine } from './black.ts';
import { MetadataLineParser } from './metadata-lines.ts';

export interface DecoderOptions {
  thresholds: DecodeThresholds;
  /**
   * Audio samples per astats block. Default 480 (10 ms at 48 kHz): measured ffmpeg 9 % + Node
   * 2.4 % of a core per stream, against 14 % + 3 % for 48 (1 ms). 10 ms is far below what
   * viewers notice (BT.1359: +45/−125 ms), so the cheaper block is the default. A light decoder
   * (no beep markers) uses 4800 (100 ms): silence to a tenth of a second, a tenth of the lines.
   */
  audioBlockSamples: number;
  scope: AnalyzerScope;
}

/**
 * What a caller configures: `true` for the freeze and sync checks with defaults, or overrides;
 * `content` adds the content checks (`full`) or runs them alone, cheaply (`light`).
 */
export type DecodeSetting = boolean | { audioBlockSamples?: number; thresholds?: Partial<DecodeThresholds>; content?: ContentMode };

/**
 * The setting for a line from its `decode` flag and `content` mode (both from the config).
 * `full` includes what `decode` measures; `light` with `decode` is refused by the config (the
 * full decode would run anyway: asking for light there is a mistake, not a saving).
 */
export function decodeSetting(decode: boolean, content: ContentMode, contentThresholds: ContentThresholds = DEFAULT_CONTENT_THRESHOLDS): DecodeSetting {
  return content === 'off' ? decode : { content, thresholds: { content: contentThresholds } };
}

/** Resolves a setting to full options; undefined when decoding is off. */
export function decoderOptions(setting: DecodeSetting | undefined): DecoderOptions | undefined {
  if (!setting) return undefined;
  const o = setting === true ? {} : setting;
  const content = o.content ?? 'off';
  const light = content === 'light';
  return {
    audioBlockSamples: o.audioBlockSamples ?? (light ? 4800 : 480),
    thresholds: { ...defaultThresholds, ...o.thresholds },
    scope: { markers: !light, content: content === 'full' ? 'all-frames' : light ? 'keyframes' : false },
  };
}

/**
 * The filter graph. Values are printed with av_log (stderr) instead of `file=pipe:N`, whose
 * avio buffer held them back ~1.5 s. Two key-filtered metadata filters print 4 lines per video
 * frame instead of the ~27 signalstats keys. The content checks add, per branch:
 * - video: `blackframe` (every frame, or every keyframe when the decoder skips the others);
 * - audio stats: the astats block RMS the beep markers use also gives silence;
 * - `ebur128` short-term loudness every 100 ms;
 * - true peak: 4× oversampled audio, astats block peak every 100 ms.
 * Branches that only print end in a null sink, so ffmpeg encodes no extra output stream.
 */
export function decodeFilterGraph(audio: boolean, opts: DecoderOptions): string {
  const { scope, thresholds, audioBlockSamples } = opts;
  const video = [
    ...(scope.markers ? ['signalstats', 'metadata=mode=print:key=lavfi.signalstats.YAVG', 'metadata=mode=print:key=lavfi.signalstats.YDIF'] : []),
    ...(scope.content ? [`blackframe=amount=0:threshold=${blackframeThreshold(thresholds.content.blackPixelTh)}`] : []),
  ];
  const chains = [`[0:v]${video.join(',')}`];
  if (!audio) return chains.join(';');
  const stats = `asetnsamples=n=${audioBlockSamples},astats=metadata=1:reset=1,ametadata=mode=print:key=lavfi.astats.Overall.RMS_level`;
  if (!scope.content) return [...chains, `[0:a]${stats}`].join(';');
  return [
    ...chains,
    '[0:a]asplit=3[stats][loudness][peak]',
    `[stats]${stats}`,
    '[loudness]ebur128=metadata=1,ametadata=mode=print:key=lavfi.r128.S,anullsink',
    '[peak]aresample=192000,asetnsamples=n=19200,astats=metadata=1:reset=1,ametadata=mode=print:key=lavfi.astats.Overall.Peak_level,anullsink',
  ].join(';');
}

/**
 * Input options of the decoder: a light decoder hands only keyframes to the video decoder
 * (`-skip_frame nokey`): no reference frames to keep, a decode per keyframe interval instead of
 * per frame (measured: 0.2 % of a core for the lab's 640×360 at 25 fps, against 2 % for every frame).
 */
export function decoderInputArgs(opts: DecoderOptions): string[] {
  return opts.scope.content === 'keyframes' ? ['-skip_frame:v', 'nokey'] : [];
}

/** ffmpeg's complaint when the graph asks for audio the input does not have. */
const NO_AUDIO = /matches no streams/;

export interface DecoderHandle {
  close(): Promise<void>;
  /** Its ffmpeg, while running. */
  pids(): number[];
}

/**
 * A separate ffmpeg per line that decodes the stream for freeze and A/V sync markers and the
 * content checks. It is an add-on to the packet reader: its failures are logged and retried by
 * its owner, they never mark the line down. Retries once without audio when the stream has none.
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
      ...decoderInputArgs(opts),
      '-i',
      url,
      '-filter_complex',
      decodeFilterGraph(audio, opts),
      '-f',
      'null',
      '-',
    ];
    const child = spawnChild(ffmpegPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    current = child;
    const parser = new MetadataLineParser();
    const analyzer = new DecodedAnalyzer(opts.thresholds, opts.scope);
    const tail: string[] = [];
    let missingAudio = false;
    if (child.proc.stderr) {
      createInterface({ input: child.proc.stderr }).on('line', (line) => {
        const value = parser.parse(line) ?? parseBlackframeLine(line);
        if (value) {
          for (const event of analyzer.push(value)) onEvent(event);
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

/**
 * Pure construction of the publisher's ffmpeg command line and of the runtime commands it
 * accepts on stdin. The recipe was measured against the bundled static ffmpeg 4.1.
 */

export type PublisherOutput =
  | { kind: 'flv'; url: string }
  | { kind: 'hls'; playlistPath: string; listSize: number; deleteThreshold: number }
  | { kind: 'rtsp'; url: string };

/**
 * How a publisher encodes; changing any of it restarts the publisher (the graph's rates and
 * sizes are fixed at start). `videoKbps` undefined: x264's constant quality, ≈ 1.1 Mbit/s for
 * the lab picture at 640×360 (measured); a number caps the rate (`lowbitrate`).
 */
export interface Encoding {
  fps: number;
  width: number;
  height: number;
  videoKbps: number | undefined;
}

export const DEFAULT_ENCODING: Encoding = { fps: 25, width: 640, height: 360, videoKbps: undefined };
export const DEFAULT_FPS = DEFAULT_ENCODING.fps;

/** What the picture shows: the test pattern, or the same made dark (mean luma ≈ 31, 2/3 of its pixels near black). */
export type Scene = 'test' | 'dark';

/**
 * The lab tone's levels. The sound is a continuous 440 Hz bed at −40 dBFS peak (quiet but
 * present: never silent at −60 dBFS) plus the 1 kHz sync beep at −22 dBFS peak (−25 dBFS RMS,
 * above the beep detector's −30), 40 ms a second. Together they peak at −20.9 dBFS, so the
 * `loud` fault's +20 dB stays below full scale: with a 0 dBFS peak the AAC encoder clipped and
 * the loud tone measured 1.1 LU short of +20. Measured with ebur128 on the publisher's AAC
 * output: short-term −37.7 LUFS (loud −17.7), true peak −20.9 dBTP (loud −0.9).
 */
export const TONE = { bedAmplitude: 0.01, beepAmplitude: 0.08, loudGainDb: 20, shortTermLufs: -37.7, truePeakDbtp: -20.9 } as const;

/**
 * Synthetic live picture and tone, all in one graph so runtime commands reach every part:
 * - a white flash frame and a 1 kHz beep start together whenever mod(t,1) < 0.04 (once a
 *   second): the content A/V sync markers; `volume@sync` can move the beep in time;
 * - a small `testsrc` in the corner burns in a running clock, so a viewer sees latency;
 * - `overlay@freeze` parks a still frame over the picture when x=0 (off-screen at 10000),
 *   a decoded freeze at full frame rate;
 * - `overlay@black` parks a black frame over everything in the same way (the `black` fault);
 * - `volume@level` sets the whole sound's level at run time: 0 (`silence`), +20 dB (`loud`);
 * - `realtime` paces the sources at wall-clock speed (lavfi sources are unpaced).
 * The beep and the bed are summed with amerge + pan (amix would halve both); amerge needs the
 * channel layout set by aformat, it does not take it from aevalsrc.
 */
export function filterGraph(encoding: Encoding, scene: Scene): string {
  const { fps, width, height } = encoding;
  const size = `${width}x${height}`;
  const ifMarker = (expr: string) => `if(lt(mod(${expr}\\,1)\\,0.04)\\,`;
  // A quarter of the luma: dark, with the pattern still moving (not black to a black detector).
  const darken = scene === 'dark' ? ',lutyuv=y=val*0.25' : '';
  return [
    `testsrc2=size=${size}:rate=${fps}${darken},split[src][s2]`,
    `[s2]trim=end_frame=1,loop=loop=-1:size=1:start=0,setpts=N/${fps}/TB[still]`,
    `testsrc=size=${Math.round(width / 4)}x${Math.round(height / 4)}:rate=${fps}[clock]`,
    `[src][clock]overlay=x=W-w-8:y=8[clocked]`,
    `color=white:size=${size}:rate=${fps}[white]`,
    `color=black:size=${size}:rate=${fps}[black]`,
    `[clocked][white]overlay@flash=x='${ifMarker('t')}0\\,10000)':eval=frame[flashed]`,
    `[flashed][still]overlay@freeze=x=10000:eval=frame[frozen]`,
    `[frozen][black]overlay@black=x=10000:eval=frame,realtime@v[v]`,
    `aevalsrc=exprs='${TONE.beepAmplitude}*sin(2*PI*1000*t)':c=mono:s=48000:n=48,volume@sync=volume='${ifMarker('t')}1\\,0)':eval=frame,aformat=channel_layouts=mono[beep]`,
    `aevalsrc=exprs='${TONE.bedAmplitude}*sin(2*PI*440*t)':c=mono:s=48000:n=48,aformat=channel_layouts=mono[bed]`,
    `[beep][bed]amerge=inputs=2,pan=mono|c0=c0+c1,volume@level=volume=1:eval=frame,` +
      `aresample=48000,asetnsamples=n=1024,arealtime@a[a]`,
  ].join(';');
}

function teeSlave(output: PublisherOutput): string {
  // onfail=ignore: one protocol's server failing must not take the line's other protocols down.
  switch (output.kind) {
    case 'flv':
      return `[f=flv:onfail=ignore]${output.url}`;
    case 'rtsp':
      return `[f=rtsp:rtsp_transport=udp:onfail=ignore]${output.url}`;
    case 'hls':
      return (
        `[f=hls:hls_time=1:hls_list_size=${output.listSize}:hls_delete_threshold=${output.deleteThreshold}` +
        // epoch start numbers keep media sequences increasing across publisher restarts.
        `:hls_start_number_source=epoch:hls_flags=program_date_time+delete_segments:onfail=ignore]${output.playlistPath}`
      );
  }
}

/**
 * One encode per line, fanned out with the tee muxer (one x264 instance instead of one per
 * protocol). Keyframes exactly every second (no scene-cut keyframes: the flash would cause
 * them) so HLS segments are exactly 1 s and GOP-aligned. `-progress pipe:1` reports the
 * output time in microseconds; the lab uses it to map stream time to wall-clock time.
 */
export function publisherArgs(encoding: Encoding, scene: Scene, outputs: readonly PublisherOutput[]): string[] {
  const { fps, videoKbps } = encoding;
  // A capped rate for x264: the VBV buffer of one second keeps every second near the cap.
  const rate = videoKbps === undefined ? [] : ['-b:v', `${videoKbps}k`, '-maxrate', `${videoKbps}k`, '-bufsize', `${videoKbps}k`];
  return [
    '-hide_banner',
    '-loglevel', 'warning',
    '-nostats',
    '-progress', 'pipe:1',
    '-filter_complex', filterGraph(encoding, scene),
    '-map', '[v]',
    '-map', '[a]',
    '-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency',
    '-g', String(fps), '-keyint_min', String(fps), '-sc_threshold', '0', '-pix_fmt', 'yuv420p', ...rate,
    '-c:a', 'aac', '-b:a', '64k', '-ar', '48000',
    // The tee muxer hides the outputs from the encoders: FLV and RTSP need the codec headers
    // as extradata, MPEG-TS re-inserts them in-band on keyframes by itself.
    '-flags', '+global_header',
    // With tee, ffmpeg's default negative-timestamp shift moves video and audio differently
    // (measured: flash 19 ms behind the beep); AAC priming is handled by the decoder instead.
    '-avoid_negative_ts', 'disabled',
    '-f', 'tee', outputs.map(teeSlave).join('|'),
  ];
}

/** ffmpeg's stdin command syntax: `c<target> <time> <command> <arg>`, -1 = apply now. */
function command(target: string, name: string, arg: string): string {
  if (/[\s\\]/.test(arg)) throw new Error(`ffmpeg command argument must not contain spaces or backslashes: ${arg}`);
  return `c${target} -1 ${name} ${arg}\n`;
}

export function freezeCommand(frozen: boolean): string {
  return command('overlay@freeze', 'x', frozen ? '0' : '10000');
}

/**
 * Moves the beep relative to the flash. Positive `audioLeadMs` follows ITU-R BT.1359 sign:
 * audio early (+), audio late (−). The beep fires when mod(t + lead, 1) < 0.04.
 */
export function avShiftCommand(audioLeadMs: number): string {
  const seconds = audioLeadMs / 1000;
  const expr = seconds === 0 ? 't' : seconds > 0 ? `t+${seconds}` : `t-${-seconds}`;
  return command('volume@sync', 'volume', `if(lt(mod(${expr},1),0.04),1,0)`);
}

/**
 * A change of the picture or the sound that takes effect at stream time `atSeconds`: an
 * expression of the frame time `t` (both filters evaluate per frame) rather than a value that
 * applies to whatever frame comes next. The edge then sits at a known stream time, whatever the
 * graph had buffered or how far a starved publisher was behind, and a fault lasts exactly its
 * duration in stream time. Without `atSeconds`, at once (a new publisher taking over the state).
 */
function switchAt(before: string, after: string, atSeconds: number | undefined): string {
  return atSeconds === undefined ? after : `if(lt(t,${atSeconds.toFixed(3)}),${before},${after})`;
}

export function blackCommand(black: boolean, atSeconds?: number): string {
  const [on, off] = ['0', '10000'];
  return command('overlay@black', 'x', black ? switchAt(off, on, atSeconds) : switchAt(on, off, atSeconds));
}

export interface SoundLevel {
  muted: boolean;
  loud: boolean;
}

/** The sound's level: muted (`silence`) wins over `loud`. */
function gain(level: SoundLevel): string {
  return String(level.muted ? 0 : level.loud ? 10 ** (TONE.loudGainDb / 20) : 1);
}

export function levelCommand(from: SoundLevel, to: SoundLevel, atSeconds?: number): string {
  return command('volume@level', 'volume', switchAt(gain(from), gain(to), atSeconds));
}

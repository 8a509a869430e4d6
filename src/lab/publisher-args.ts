/**
 * Pure construction of the publisher's ffmpeg command line and of the runtime commands it
 * accepts on stdin. The recipe was measured against the bundled static ffmpeg 4.1.
 */

export const WIDTH = 640;
export const HEIGHT = 360;
export const DEFAULT_FPS = 25;

export type PublisherOutput =
  | { kind: 'flv'; url: string }
  | { kind: 'hls'; playlistPath: string; listSize: number; deleteThreshold: number }
  | { kind: 'rtsp'; url: string };

/**
 * Synthetic live picture and tone, all in one graph so runtime commands reach every part:
 * - a white flash frame and a 1 kHz beep start together whenever mod(t,1) < 0.04 (once a
 *   second): the content A/V sync markers; `volume@sync` can move the beep in time;
 * - a small `testsrc` in the corner burns in a running clock, so a viewer sees latency;
 * - `overlay@freeze` parks a still frame over the picture when x=0 (off-screen at 10000),
 *   a decoded freeze at full frame rate;
 * - `realtime` paces the sources at wall-clock speed (lavfi sources are unpaced).
 */
export function filterGraph(fps: number): string {
  const ifMarker = (expr: string) => `if(lt(mod(${expr}\\,1)\\,0.04)\\,`;
  return [
    `testsrc2=size=${WIDTH}x${HEIGHT}:rate=${fps},split[src][s2]`,
    `[s2]trim=end_frame=1,loop=loop=-1:size=1:start=0,setpts=N/${fps}/TB[still]`,
    `testsrc=size=160x90:rate=${fps}[clock]`,
    `[src][clock]overlay=x=W-w-8:y=8[clocked]`,
    `color=white:size=${WIDTH}x${HEIGHT}:rate=${fps}[white]`,
    `[clocked][white]overlay@flash=x='${ifMarker('t')}0\\,10000)':eval=frame[flashed]`,
    `[flashed][still]overlay@freeze=x=10000:eval=frame,realtime@v[v]`,
    `aevalsrc=exprs='sin(2*PI*1000*t)':s=48000:n=48,volume@sync=volume='${ifMarker('t')}1\\,0)':eval=frame,` +
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
export function publisherArgs(fps: number, outputs: readonly PublisherOutput[]): string[] {
  return [
    '-hide_banner',
    '-loglevel', 'warning',
    '-nostats',
    '-progress', 'pipe:1',
    '-filter_complex', filterGraph(fps),
    '-map', '[v]',
    '-map', '[a]',
    '-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency',
    '-g', String(fps), '-keyint_min', String(fps), '-sc_threshold', '0', '-pix_fmt', 'yuv420p',
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

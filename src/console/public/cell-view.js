// What one grid cell says, in words besides its colour: the level as text and a symbol (for
// colour-blind eyes and greyscale screens) and the one figure that matters most in its latest sample.
import { duration } from './time.js';

/** A symbol per level: shape, not colour, tells them apart. */
export const LEVEL_ICON = { ok: '✓', degraded: '▲', down: '✖', unknown: '?' };
const LEVEL_WORD = { ok: 'ok', degraded: 'degraded', down: 'DOWN', unknown: 'no data' };

/** A stall share, A/V offset, black or silent time under these is not worth a word. */
const NOTABLE = { stallShare: 0.05, avMs: 100, contentMs: 1000, freezeShare: 0.5 };

/**
 * The most telling figure of a sample, or undefined when it shows nothing wrong:
 * "timeout", "black 3 s", "silent 4 s", "stall 18 %", "frozen 2 s", "A/V −310 ms".
 */
export function problemFigure(s) {
  if (!s) return undefined;
  if (!s.connected) return s.error ?? 'no media';
  if ((s.blackMs ?? 0) >= NOTABLE.contentMs) return `black ${duration(s.blackMs)}`;
  if ((s.silenceMs ?? 0) >= NOTABLE.contentMs) return `silent ${duration(s.silenceMs)}`;
  const stall = s.windowMs > 0 ? s.stallMs / s.windowMs : 0;
  if (stall >= NOTABLE.stallShare) return `stall ${Math.round(stall * 100)} %`;
  // Probes count a picture frozen only once it held a second: half a window frozen is a freeze.
  if (s.windowMs > 0 && s.freezeMs / s.windowMs >= NOTABLE.freezeShare) return `frozen ${duration(s.freezeMs)}`;
  const av = s.avSyncMs ?? s.avSkewMs;
  if (av !== undefined && Math.abs(av) >= NOTABLE.avMs) return `A/V ${av < 0 ? '−' : '+'}${Math.round(Math.abs(av))} ms`;
  return undefined;
}

/** Live latency to a tenth of a second below 10 s ("1.8 s"): that is where lines differ. */
function latency(ms) {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : duration(ms);
}

/**
 * A cell: `level` (cellLevel), `sample` its latest (or undefined), `since` when it reached its
 * level (hub clock), `now` (hub clock). → { icon, text, detail }: "✖ DOWN timeout 12 s",
 * "▲ stall 18 %", "✓ ok · latency 1.8 s"; `detail` names a probe that could not trust its measurement.
 */
export function cellView(level, sample, since, now) {
  const figure = problemFigure(sample);
  // Whole seconds: a count in milliseconds flickers and says nothing more at 3 a.m.
  const held = since !== undefined && level !== 'ok' && level !== 'unknown' ? ` ${now - since < 1000 ? '<1 s' : duration(now - since)}` : '';
  let text;
  if (level === 'down') text = `DOWN${figure ? ` ${figure}` : ''}${held}`;
  else if (level === 'degraded') text = `${figure ?? 'degraded'}${held}`;
  else if (level === 'ok') text = sample?.latencyMs !== undefined ? `ok · latency ${latency(sample.latencyMs)}` : 'ok';
  else text = LEVEL_WORD.unknown;
  return { icon: LEVEL_ICON[level], text, detail: sample?.impaired ? `probe impaired (${sample.impaired})` : '' };
}

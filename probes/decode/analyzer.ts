import { DEFAULT_CONTENT_THRESHOLDS, type ContentThresholds } from '../../src/model/content-thresholds.ts';
import { BLACKFRAME_KEY, BlackTracker } from './black.ts';
import { FreezeTracker } from './freeze.ts';
import { clampLevel, LoudnessTracker } from './loudness.ts';
import type { MetadataValue } from './metadata-lines.ts';
import { SilenceTracker } from './silence.ts';
import { BeepOnsetDetector, OnsetDetector, SyncPairer } from './sync-markers.ts';

export interface DecodeThresholds {
  /** signalstats YDIF below this means the picture did not change. */
  freezeYdif: number;
  /** signalstats YAVG above this is a flash marker frame. */
  flashYavg: number;
  /** astats RMS (dBFS) above this is a beep marker. */
  beepRmsDb: number;
  /** A flash and a beep further apart than this are different markers. */
  maxPairMs: number;
  /** The content checks' thresholds (black, silence): shared with the config, see there. */
  content: ContentThresholds;
}

export const defaultThresholds: DecodeThresholds = { freezeYdif: 0.5, flashYavg: 200, beepRmsDb: -30, maxPairMs: 500, content: DEFAULT_CONTENT_THRESHOLDS };

/**
 * What a decoder measures. `markers`: freeze and A/V sync markers (every frame); `content`:
 * black, silence, loudness and true peak, from every frame or from keyframes only.
 */
export interface AnalyzerScope {
  markers: boolean;
  content: 'all-frames' | 'keyframes' | false;
}

/**
 * `freeze`/`black`/`silence`: time to add (runs shorter than the minimum are not counted).
 * `onset`: this event made the picture frozen (its run reached the minimum).
 */
export type DecodedEvent =
  | { type: 'freeze'; ms: number; onset: boolean }
  | { type: 'sync'; ms: number }
  | { type: 'black'; ms: number }
  | { type: 'silence'; ms: number }
  | { type: 'loudness'; lufs: number }
  | { type: 'truePeak'; dbtp: number };

/** The longest keyframe interval a light decoder still bridges (common live GOPs are 1–4 s). */
const MAX_KEYFRAME_INTERVAL_MS = 10_000;

interface Markers {
  freeze: FreezeTracker;
  flash: OnsetDetector;
  beep: BeepOnsetDetector;
  pairer: SyncPairer;
}

interface Content {
  black: BlackTracker;
  silence: SilenceTracker;
  loudness: LoudnessTracker;
}

/** Turns decoded metadata values into freeze, black and silence intervals and level readings. Pure. */
export class DecodedAnalyzer {
  private readonly markers: Markers | undefined;
  private readonly content: Content | undefined;

  constructor(t: DecodeThresholds = defaultThresholds, scope: AnalyzerScope = { markers: true, content: false }) {
    if (scope.markers) {
      this.markers = { freeze: new FreezeTracker(t.freezeYdif), flash: new OnsetDetector(t.flashYavg), beep: new BeepOnsetDetector(t.beepRmsDb), pairer: new SyncPairer(t.maxPairMs) };
    }
    if (scope.content) {
      const maxStepMs = scope.content === 'keyframes' ? MAX_KEYFRAME_INTERVAL_MS : 1000;
      this.content = {
        black: new BlackTracker({ pictureTh: t.content.blackPictureTh, minRunMs: t.content.minRunMs, maxStepMs }),
        silence: new SilenceTracker(t.content.silenceDb, t.content.minRunMs),
        loudness: new LoudnessTracker(),
      };
    }
  }

  push(v: MetadataValue): DecodedEvent[] {
    const m = this.markers;
    const c = this.content;
    switch (v.key) {
      case 'lavfi.signalstats.YDIF':
        return m ? freezeEvent(m.freeze.push(v.ptsMs, v.value), m.freeze.onset) : [];
      case 'lavfi.signalstats.YAVG': {
        const onset = m?.flash.push(v.ptsMs, v.value);
        return syncEvent(onset === undefined ? undefined : m?.pairer.flash(onset));
      }
      case 'lavfi.astats.Overall.RMS_level': {
        const onset = m?.beep.push(v.ptsMs, v.value);
        const sync = syncEvent(onset === undefined ? undefined : m?.pairer.beep(onset));
        return c ? [...sync, ...timeEvent('silence', c.silence.push(v.ptsMs, v.value))] : sync;
      }
      case BLACKFRAME_KEY:
        return c ? timeEvent('black', c.black.push(v.ptsMs, v.value)) : [];
      case 'lavfi.r128.S': {
        const lufs = c?.loudness.push(v.ptsMs, v.value);
        return lufs === undefined ? [] : [{ type: 'loudness', lufs }];
      }
      // Printed only by the oversampled (192 kHz) branch: a true peak.
      case 'lavfi.astats.Overall.Peak_level':
        return c ? [{ type: 'truePeak', dbtp: clampLevel(v.value) }] : [];
      default:
        return [];
    }
  }
}

function timeEvent(type: 'black' | 'silence', ms: number | undefined): DecodedEvent[] {
  return ms ? [{ type, ms }] : [];
}

function freezeEvent(ms: number | undefined, onset: boolean): DecodedEvent[] {
  return ms ? [{ type: 'freeze', ms, onset }] : [];
}

function syncEvent(ms: number | undefined): DecodedEvent[] {
  return ms === undefined ? [] : [{ type: 'sync', ms }];
}

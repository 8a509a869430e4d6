import { FreezeTracker } from './freeze.ts';
import type { MetadataValue } from './metadata-lines.ts';
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
}

export const defaultThresholds: DecodeThresholds = { freezeYdif: 0.5, flashYavg: 200, beepRmsDb: -30, maxPairMs: 500 };

/** `freeze`: frozen picture time to add (runs shorter than the minimum are not a freeze). */
export type DecodedEvent = { type: 'freeze'; ms: number } | { type: 'sync'; ms: number };

/** Turns decoded metadata values into freeze intervals and A/V sync measurements. Pure. */
export class DecodedAnalyzer {
  private readonly freeze: FreezeTracker;
  private readonly flash: OnsetDetector;
  private readonly beep: BeepOnsetDetector;
  private readonly pairer: SyncPairer;

  constructor(t: DecodeThresholds = defaultThresholds) {
    this.freeze = new FreezeTracker(t.freezeYdif);
    this.flash = new OnsetDetector(t.flashYavg);
    this.beep = new BeepOnsetDetector(t.beepRmsDb);
    this.pairer = new SyncPairer(t.maxPairMs);
  }

  push(v: MetadataValue): DecodedEvent | undefined {
    switch (v.key) {
      case 'lavfi.signalstats.YDIF': {
        const ms = this.freeze.push(v.ptsMs, v.value);
        return ms ? { type: 'freeze', ms } : undefined;
      }
      case 'lavfi.signalstats.YAVG': {
        const onset = this.flash.push(v.ptsMs, v.value);
        const ms = onset === undefined ? undefined : this.pairer.flash(onset);
        return ms === undefined ? undefined : { type: 'sync', ms };
      }
      case 'lavfi.astats.Overall.RMS_level': {
        const onset = this.beep.push(v.ptsMs, v.value);
        const ms = onset === undefined ? undefined : this.pairer.beep(onset);
        return ms === undefined ? undefined : { type: 'sync', ms };
      }
      default:
        return undefined;
    }
  }
}

import type { Sample } from '../../../src/model/sample.ts';
import { SampleSchema } from '../../../src/model/sample.ts';

/** Collects samples with their arrival time and validates each against the schema. */
export class SampleLog {
  readonly samples: Array<Sample & { receivedAt: number }> = [];

  readonly onSample = (s: Sample): void => {
    SampleSchema.parse(s);
    this.samples.push({ ...s, receivedAt: performance.now() });
  };

  /** The first sample matching `pred`, among those received after `after` (performance.now()). */
  async until(pred: (s: Sample) => boolean, timeoutMs: number, after = 0): Promise<Sample & { receivedAt: number }> {
    const deadline = performance.now() + timeoutMs;
    let from = 0;
    while (performance.now() < deadline) {
      for (; from < this.samples.length; from++) {
        const s = this.samples[from];
        if (s && s.receivedAt > after && pred(s)) return s;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`no matching sample within ${timeoutMs} ms; last: ${JSON.stringify(this.samples.at(-1))}`);
  }
}

/**
 * Child script for the self-health tests: a probe process watching one URL with the health
 * thresholds given as JSON (over the defaults), printing each Sample as one JSON line on stdout.
 * SIGTERM stops it (its ffprobe children too).
 */
import { probeUrl } from '../../../probes/index.ts';
import { ProbeHealthThresholdsSchema } from '../../../src/model/probe-health.ts';

const [url = '', health = '{}'] = process.argv.slice(2);
const handle = probeUrl(url, {
  region: 'test',
  probe: 'self-health',
  stream: 'watched',
  line: 'primary',
  health: ProbeHealthThresholdsSchema.parse(JSON.parse(health)),
  onSample: (s) => process.stdout.write(`${JSON.stringify(s)}\n`),
});
process.once('SIGTERM', () => void handle.stop().then(() => process.exit(0)));

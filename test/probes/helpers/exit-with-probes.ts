/**
 * Child script for the "parent exits" test: starts probing a URL, prints the PIDs of its
 * ffprobe children once they exist, then exits without stopping the probe.
 */
import { probeUrl } from '../../../probes/index.ts';
import { liveChildPids } from '../../../src/common/children.ts';

const url = process.argv[2] ?? '';
probeUrl(url, { region: 't', probe: 't', stream: 's', line: 'l', onSample: () => undefined });
const timer = setInterval(() => {
  const pids = liveChildPids();
  if (pids.length === 0) return;
  clearInterval(timer);
  process.stdout.write(`${JSON.stringify(pids)}\n`, () => process.exit(0));
}, 50);

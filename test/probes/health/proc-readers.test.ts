import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCpuPressureTotalUs, readCpuPressureTotalUs } from '../../../probes/health/psi.ts';
import { parseSchedstat, readSchedstat } from '../../../probes/health/schedstat.ts';

describe('/proc readers', () => {
  it('PSI: the `some` total in µs; a file without it, or none at all, is no signal', () => {
    const text = 'some avg10=65.61 avg60=44.45 avg300=23.46 total=3334590761\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n';
    expect(parseCpuPressureTotalUs(text)).toBe(3334590761);
    expect(parseCpuPressureTotalUs('full avg10=0.00 avg60=0.00 avg300=0.00 total=7\n')).toBeUndefined();
    expect(readCpuPressureTotalUs('/nonexistent/pressure/cpu')).toBeUndefined();
  });

  it('PSI on this host, where the kernel has it: increasing', () => {
    if (!existsSync('/proc/pressure/cpu')) return;
    const a = readCpuPressureTotalUs();
    expect(a).toBeGreaterThanOrEqual(0);
    expect(readCpuPressureTotalUs()).toBeGreaterThanOrEqual(a!);
  });

  it('schedstat: run ns, wait ns, runs; a gone process or a bad text is no reading', () => {
    expect(parseSchedstat('838425 2673337 2\n')).toEqual({ runNs: 838425, waitNs: 2673337, runs: 2 });
    expect(parseSchedstat('838425 x 2')).toBeUndefined();
    expect(parseSchedstat('')).toBeUndefined();
    expect(readSchedstat(2 ** 22 + 1)).toBeUndefined();
    if (existsSync(`/proc/${process.pid}/schedstat`)) expect(readSchedstat(process.pid)?.runs).toBeGreaterThan(0);
  });
});

import { readFileSync } from 'node:fs';

/** Linux pressure stall information for the CPU (kernel ≥ 4.20 with PSI on). */
const CPU_PRESSURE_FILE = '/proc/pressure/cpu';

/**
 * The `some … total=` of a /proc/pressure/cpu text: µs during which at least one task waited for
 * a CPU, since boot. Its delta over a window is more exact than `avg10` (a 10 s average). Pure.
 */
export function parseCpuPressureTotalUs(text: string): number | undefined {
  const m = /^some\b.*\btotal=(\d+)/m.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** The host's CPU stall total (µs), or undefined where there is no PSI (not Linux, an old kernel, PSI off): no signal, not an error. */
export function readCpuPressureTotalUs(file = CPU_PRESSURE_FILE): number | undefined {
  try {
    return parseCpuPressureTotalUs(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

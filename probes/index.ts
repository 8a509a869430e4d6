/**
 * The probe's public API, for the CLI (`streamguard probe`, `run`) and the hub's local probe.
 * Everything else under probes/ is internal.
 */
export { LineSet, type LinePlan, type LineSpec } from './line-set.ts';
export { probeUrl, startProber, type ProbeHandle, type ProbeTarget, type ProberOptions, type ProbeUrlOptions } from './prober.ts';
export { decodeSetting, type DecodeSetting } from './decode/decoder.ts';
export type { DecodeThresholds } from './decode/analyzer.ts';
export { startProbeWorker, type ProbeWorker, type ProbeWorkerOptions } from './uplink/worker.ts';
export { readerFor, UnsupportedUrlError } from './readers/registry.ts';

// The lab's public API, for the CLI and for integration tests.
export { startLab, LabLookupError, type Lab, type LabDescription, type LabLineInfo, type StartLabOptions } from './lab.ts';
export { startControlServer, type ControlServer } from './control-server.ts';
export { faultSchema, type Fault, type LineName, type PlayProtocol, type PublishProtocol } from './fault-schema.ts';
export type { TruthRecord } from './truth-log.ts';
export { liveChildPids } from '../common/children.ts';
export { VendorDesk, type DeskTicket, type ReceivedHook } from './vendor-desk.ts';

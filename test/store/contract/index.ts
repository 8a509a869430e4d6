import { describeAuditLog } from './audit.ts';
import { describeControlStateRepository } from './control-state.ts';
import { describeIncidentRepository } from './incidents.ts';
import { describeTicketOutbox } from './outbox.ts';
import { describeSampleHistory } from './samples.ts';
import { describeSilenceRepository } from './silences.ts';
import { describeSlaTimers } from './sla.ts';
import { describeStreamRegistry } from './streams.ts';
import type { StoreMaker } from './store-maker.ts';

export type { StoreMaker } from './store-maker.ts';

/** Every storage port's contract, for one engine: the same suites run against each implementation. */
export function describeStoreContract(engine: string, maker: StoreMaker): void {
  describeIncidentRepository(engine, maker);
  describeAuditLog(engine, maker);
  describeSampleHistory(engine, maker);
  describeTicketOutbox(engine, maker);
  describeSlaTimers(engine, maker);
  describeSilenceRepository(engine, maker);
  describeControlStateRepository(engine, maker);
  describeStreamRegistry(engine, maker);
}

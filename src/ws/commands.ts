import { z } from 'zod';
import type { Principal, Role } from '../auth/auth.ts';
import type { Controller } from '../control/controller.ts';
import type { IncidentManager } from '../incidents/manager.ts';
import type { Incident } from '../model/incident.ts';
import type { StreamConfig } from '../model/stream.ts';
import type { EventBus } from '../common/event-bus.ts';
import type { AuditEntry, AuditLog, ControlStateRepository, IncidentRepository, SampleHistory, StreamRegistryEntry } from '../store/ports.ts';
import { TicketRequestError } from '../tickets/request-error.ts';
import type { TicketService } from '../tickets/service.ts';
import { SilenceMatcherSchema, type Silences } from '../incidents/silences.ts';
import { SeveritySchema } from '../model/severity.ts';
import { HttpError } from '../http/index.ts';
import { knownIncidents } from '../incidents/known.ts';
import { readHistory } from '../history/read.ts';
import { incidentCard, type IncidentCard } from './incident-card.ts';
import { incidentNarrative } from './incident-narrative.ts';
import { soleOwnership, type Ownership } from '../cluster/ownership.ts';
import type { StreamOwners } from '../cluster/directory.ts';
import type { LineHealthDocument, SharedHealth } from '../cluster/shared-health.ts';
import { routeCommand } from '../cluster/command-route.ts';
import { ownedStreamOf } from '../cluster/owned-stream.ts';
import { forwardCommand } from '../cluster/forward.ts';
import { PersistedControlSchema, type PersistedControl } from '../control/persisted-state.ts';

/**
 * The operator API's requests (docs/ws-api.md), shared by `/ws` and `POST /api/v1/commands/:type`.
 * One zod discriminated union on `type`; queries need the viewer role, commands the operator role,
 * carry a `reason` and are audited with the token name (`actor`) before they answer.
 */

const id = z.union([z.string().max(200), z.number()]).optional();
const stream = z.string().min(1).max(200);
const reason = z.string().trim().min(1, 'a reason is required').max(2000);
const expiry = { ttlMs: z.number().int().min(1000).max(7 * 86_400_000).optional(), until: z.number().int().min(0).optional() };

export const RequestSchema = z.discriminatedUnion('type', [
  z.strictObject({ id, type: z.literal('auth'), token: z.string().min(1).max(4096) }),
  z.strictObject({ id, type: z.literal('subscribe'), topics: z.array(z.string().min(1).max(300)).min(1).max(100) }),
  z.strictObject({ id, type: z.literal('unsubscribe'), topics: z.array(z.string().min(1).max(300)).min(1).max(100) }),
  z.strictObject({ id, type: z.literal('ping') }),
  // queries
  z.strictObject({ id, type: z.literal('state') }),
  z.strictObject({
    id,
    type: z.literal('incidents'),
    severity: z.union([SeveritySchema, z.array(SeveritySchema)]).optional(),
    state: z.union([z.enum(['open', 'acknowledged', 'mitigating', 'resolved', 'active', 'all']), z.array(z.enum(['open', 'acknowledged', 'mitigating', 'resolved']))]).optional(),
    stream: stream.optional(),
    from: z.number().int().min(0).optional(),
    to: z.number().int().min(0).optional(),
    limit: z.number().int().min(1).max(1000).optional(),
  }),
  z.strictObject({ id, type: z.literal('incident'), incident: z.string().min(1) }),
  z.strictObject({ id, type: z.literal('cards'), limit: z.number().int().min(1).max(1000).optional() }),
  z.strictObject({ id, type: z.literal('narrative'), incident: z.string().min(1) }),
  z.strictObject({ id, type: z.literal('history'), stream, line: z.string().optional(), region: z.string().optional(), from: z.number().int().min(0).optional(), to: z.number().int().min(0).optional(), limit: z.number().int().min(1).max(50_000).optional() }),
  z.strictObject({ id, type: z.literal('audit'), limit: z.number().int().min(1).max(1000).optional() }),
  z.strictObject({ id, type: z.literal('silences') }),
  z.strictObject({ id, type: z.literal('registry') }),
  // commands
  z.strictObject({ id, type: z.literal('ack'), incident: z.string().min(1), reason, vendor: z.string().min(1).optional() }),
  z.strictObject({ id, type: z.literal('note'), incident: z.string().min(1), note: z.string().trim().min(1).max(4000), reason: reason.optional() }),
  z.strictObject({ id, type: z.literal('assign'), incident: z.string().min(1), role: z.string().min(1).max(100), person: z.string().min(1).max(200), reason }),
  z.strictObject({ id, type: z.literal('switch'), stream, line: z.string().min(1), reason, ...expiry }),
  z.strictObject({ id, type: z.literal('pin'), stream, line: z.string().min(1), reason, ...expiry }),
  z.strictObject({ id, type: z.literal('failback'), stream, reason }),
  z.strictObject({ id, type: z.literal('feature'), stream, feature: z.string().min(1).max(100), enabled: z.union([z.boolean(), z.literal('auto')]), reason, ...expiry }),
  z.strictObject({ id, type: z.literal('silence'), matcher: SilenceMatcherSchema, reason, ...expiry }),
  z.strictObject({ id, type: z.literal('unsilence'), silence: z.string().min(1), reason }),
  z.strictObject({ id, type: z.literal('ticket'), incident: z.string().min(1), reason, vendor: z.string().min(1).optional() }),
  z.strictObject({ id, type: z.literal('drill'), reason, waitAckMs: z.number().int().min(0).max(120_000).optional() }),
  // streams at run time: the definition is checked by the config's stream schema when it runs (field paths inside the stream)
  z.strictObject({ id, type: z.literal('add-stream'), definition: z.record(z.string(), z.unknown()), reason }),
  z.strictObject({ id, type: z.literal('change-stream'), stream, changes: z.record(z.string(), z.unknown()), reason }),
  z.strictObject({ id, type: z.literal('remove-stream'), stream, reason }),
  z.strictObject({ id, type: z.literal('reset-stream'), stream, reason }),
]);
export type Request = z.infer<typeof RequestSchema>;
export type RequestType = Request['type'];

export const QUERY_TYPES = new Set<RequestType>(['state', 'incidents', 'incident', 'history', 'audit', 'silences', 'registry']);
export const COMMAND_TYPES = new Set<RequestType>(['ack', 'note', 'assign', 'switch', 'pin', 'failback', 'feature', 'silence', 'unsilence', 'ticket', 'drill', 'add-stream', 'change-stream', 'remove-stream', 'reset-stream']);
export const neededRole = (t: RequestType): Role => (COMMAND_TYPES.has(t) ? 'operator' : 'viewer');

/** Formats zod issues as `path: message`, at most five. */
export function describeIssues(err: z.ZodError): string {
  return err.issues
    .slice(0, 5)
    .map((i) => `${i.path.map(String).join('.') || '(message)'}: ${i.message}`)
    .join('; ');
}

/** What the operator API needs of the hub. */
export interface CommandHub {
  clock(): number;
  /** Writes the queued samples, so that history reads see them; rejects when the store fails. */
  flush(): Promise<number>;
  bus: Pick<EventBus, 'on'>;
  incidents: Pick<IncidentManager, 'open' | 'recent' | 'act'>;
}

/** The store reads and writes of the operator API. */
export interface CommandStore {
  incidents: Pick<IncidentRepository, 'open' | 'get' | 'timeline'>;
  audit: AuditLog;
  samples: Pick<SampleHistory, 'samples' | 'rollups'>;
  /** The control state of the streams another hub owns, as their owner saved it. */
  control: Pick<ControlStateRepository, 'all'>;
}

/** A change of the stream set at run time: `changes` is a JSON merge patch of the stream's definition. */
export type StreamChange =
  | { op: 'add'; definition: Record<string, unknown> }
  | { op: 'change'; stream: string; changes: Record<string, unknown> }
  | { op: 'remove'; stream: string }
  | { op: 'reset'; stream: string };

/** Who changes the stream set and why (`source`: the discovery source doing it). */
export interface StreamActor {
  by: string;
  reason: string;
  source?: string;
}

export interface StreamChangeResult {
  stream: string;
  /** Where the stream's definition comes from now. */
  origin: 'config' | 'run time' | 'config, changed at run time' | 'removed' | 'none';
  /** What the config reload that applied it changed: streams by id, top-level sections. */
  changes: { added: string[]; removed: string[]; sections: string[] };
}

/** The streams at run time (src/app/run-time-streams.ts): changes checked, then applied through the config reload. */
export interface StreamEditor {
  /** Throws the HttpError the change would get (400 naming the field, 404, 409), changing nothing. */
  check(change: StreamChange): void;
  apply(change: StreamChange, actor: StreamActor): Promise<StreamChangeResult>;
  registry(): StreamRegistryEntry[];
}

export interface CommandContext {
  hub: CommandHub;
  store: CommandStore;
  streams: () => readonly StreamConfig[];
  /** Undefined on a hub that does not change its streams at run time. */
  streamEditor?: StreamEditor | undefined;
  controller: Controller | undefined;
  tickets: TicketService | undefined;
  silences: Silences;
  /** The streams this hub acts on (default soleOwnership: every one, nothing is forwarded). */
  ownership?: Ownership | undefined;
  /** The owners of the other hubs' streams, where their commands go; undefined on a lone hub. */
  owners?: StreamOwners | undefined;
  /** The line health of the other hubs' streams, as their owners stored it; undefined on a lone hub. */
  sharedHealth?: Pick<SharedHealth, 'read'> | undefined;
}

/** How a request reached this hub: the caller's credentials (to forward it with) and the hub that forwarded it here, if one did. */
export interface Caller {
  authorization?: string | undefined;
  forwardedBy?: string | undefined;
}

const DEFAULT_SWITCH_TTL_MS = 30 * 60_000;
const DEFAULT_HISTORY_MS = 5 * 60_000;
const DEFAULT_CARDS = 50;

/**
 * Runs one validated request for an authenticated principal. Throws HttpError (its code is the
 * WebSocket reply's `error.code`, its status the REST answer's). `via` goes in the
 * audit action (`ws.pin`, `api.pin`). Role checks happen here so both transports share them.
 * A command for a stream another hub of the cluster owns runs there (src/cluster/command-route.ts):
 * handed over with the caller's Authorization, answered with the owner's result or refusal,
 * audited by the owner alone.
 * Commands are checked first (nothing audited, nothing done on a bad stream, line, incident,
 * vendor or expiry); then the audit row is written when the action finished, with `data.outcome`
 * (`ok` or `error: <code>`), so a refused action is on record too.
 */
export async function execute(ctx: CommandContext, who: Principal, req: Request, via: 'ws' | 'api', caller: Caller = {}): Promise<unknown> {
  const need = neededRole(req.type);
  if (need === 'operator' && who.role !== 'operator') throw new HttpError('forbidden', `"${req.type}" needs the operator role; token "${who.name}" is a ${who.role}`);
  const stream = ctx.ownership || ctx.owners ? await streamOfCommand(ctx, req) : undefined;
  if (stream !== undefined) {
    const route = await routeCommand({ stream, owns: (ctx.ownership ?? soleOwnership).owns(stream), forwardedBy: caller.forwardedBy, owners: ctx.owners });
    if (route.to === 'nobody') throw route.error;
    if (route.to === 'owner') {
      const { type, id: _id, ...body } = req;
      return forwardCommand({ to: { hub: route.hub, url: route.url }, from: ctx.owners!.self, type, body, authorization: caller.authorization, via });
    }
  }
  const pending: AuditEntry[] = [];
  try {
    const result = await run(ctx, who, req, via, pending, caller);
    for (const e of pending) await ctx.store.audit.append({ ...e, data: { ...(e.data as object), outcome: 'ok' } });
    return result;
  } catch (err) {
    // Checked and audited but refused on the way (conflict, unavailable, a bug): recorded with the outcome.
    const outcome = err instanceof HttpError ? `error: ${err.code}` : 'error: internal';
    for (const e of pending) await ctx.store.audit.append({ ...e, data: { ...(e.data as object), outcome, message: (err as Error).message } });
    throw err;
  }
}

/**
 * The stream whose owner runs a command: the stream it names, or the stream (or probe) of the
 * incident it names. Undefined: any hub runs it — queries, silences, drills, a new stream, and a
 * stream or incident that does not exist (refused here, 404, wherever its shard is).
 */
async function streamOfCommand(ctx: CommandContext, req: Request): Promise<string | undefined> {
  switch (req.type) {
    case 'switch':
    case 'pin':
    case 'failback':
    case 'feature':
    case 'change-stream':
    case 'remove-stream':
    case 'reset-stream':
      return ctx.streams().some((s) => s.id === req.stream) ? req.stream : undefined;
    case 'ack':
    case 'note':
    case 'assign':
    case 'ticket': {
      const inc = await ctx.store.incidents.get(req.incident);
      return inc && ownedStreamOf(inc);
    }
    default:
      return undefined;
  }
}

async function run(ctx: CommandContext, who: Principal, req: Request, via: 'ws' | 'api', pending: AuditEntry[], caller: Caller): Promise<unknown> {
  const { hub, store } = ctx;
  const now = hub.clock();
  const streamCfg = (s: string) => {
    const cfg = ctx.streams().find((x) => x.id === s);
    if (!cfg) throw new HttpError('not_found', `no stream "${s}" in the config`);
    return cfg;
  };
  const controller = () => {
    if (!ctx.controller) throw new HttpError('unavailable', 'the controller is not running on this hub');
    return ctx.controller;
  };
  const incident = async (i: string) => {
    const inc = await store.incidents.get(i);
    if (!inc) throw new HttpError('not_found', `no incident "${i}"`);
    return inc;
  };
  const expiryOf = (r: { ttlMs?: number | undefined; until?: number | undefined }, def?: number) => {
    if (r.until !== undefined && r.ttlMs !== undefined) throw new HttpError('bad_request', 'give ttlMs or until, not both');
    if (r.until !== undefined && r.until <= now) throw new HttpError('bad_request', `until (${r.until}) is in the past (now ${now})`);
    const until = r.until ?? (r.ttlMs !== undefined ? now + r.ttlMs : def !== undefined ? now + def : undefined);
    if (until === undefined) throw new HttpError('bad_request', 'an expiry is required: ttlMs or until');
    return until;
  };
  const editor = () => {
    if (!ctx.streamEditor) throw new HttpError('unavailable', 'streams cannot change at run time on this hub');
    return ctx.streamEditor;
  };
  const audit = (target: string, why: string, data: Record<string, unknown>) =>
    pending.push({ t: now, actor: who.name, action: `${via}.${req.type}`, target, reason: why, data: { role: who.role, ...(caller.forwardedBy !== undefined && { forwardedBy: caller.forwardedBy }), ...data } });
  const act = (inc: Incident, input: Parameters<IncidentManager['act']>[1]) => {
    const r = hub.incidents.act(inc.id, input, now, inc);
    if (r.rejected) throw new HttpError('conflict', r.rejected);
    return r.incident;
  };

  switch (req.type) {
    case 'auth':
    case 'subscribe':
    case 'unsubscribe':
    case 'ping':
      throw new HttpError('bad_request', `"${req.type}" is a WebSocket message`);
    case 'state':
      return snapshot(ctx);
    case 'incidents':
      return listIncidents(ctx, req);
    case 'incident': {
      const inc = await incident(req.incident);
      return { incident: inc, timeline: await store.incidents.timeline(inc.id) };
    }
    case 'cards': {
      const vendor = (name: string) => ctx.tickets?.vendorConfig(name);
      // The worst first, then the newest: what to look at first at the top. Each card reads its
      // timeline, so a mass outage is cut at `limit` (the total says how many more there are).
      const open = (await openIncidents(ctx)).sort((a, b) => a.severity.localeCompare(b.severity) || b.openedAt - a.openedAt);
      const shown = open.slice(0, req.limit ?? DEFAULT_CARDS);
      const owner = ownerNames(ctx);
      return {
        cards: await Promise.all(
          shown.map(async (i) => {
            const card = incidentCard(i, await store.incidents.timeline(i.id), vendor);
            const by = await owner(ownedStreamOf(i));
            return by === undefined ? card : ({ ...card, owner: by } satisfies IncidentCard);
          }),
        ),
        total: open.length,
      };
    }
    case 'narrative': {
      const inc = await incident(req.incident);
      return { incident: inc.id, rows: incidentNarrative(await store.incidents.timeline(inc.id)) };
    }
    case 'history': {
      streamCfg(req.stream);
      const to = req.to ?? now + 1;
      const from = req.from ?? to - DEFAULT_HISTORY_MS;
      if (from >= to) throw new HttpError('bad_request', `from (${from}) must be before to (${to})`);
      return readHistory({ samples: store.samples, flush: () => hub.flush() }, { stream: req.stream, from, to, limit: req.limit ?? 10_000, ...(req.line !== undefined && { line: req.line }), ...(req.region !== undefined && { region: req.region }) });
    }
    case 'audit':
      return { entries: await store.audit.recent(req.limit ?? 100) };
    case 'silences':
      return { silences: ctx.silences.active() };
    case 'registry':
      // Lines by name only: a URL may hold a stream key, and viewers read this.
      return { entries: editor().registry().map(({ stream: def, ...e }) => ({ ...e, removed: def === null, ...(def && { lines: Object.keys(def.lines) }) })) };

    case 'ack': {
      const inc = await incident(req.incident);
      if (req.vendor !== undefined && !ctx.tickets) throw new HttpError('unavailable', 'tickets are not running on this hub');
      audit(inc.id, req.reason, { vendor: req.vendor });
      // Acknowledging again is a no-op (a vendor's ack may still be recorded); a resolved incident refuses.
      const after = inc.status === 'acknowledged' || inc.status === 'mitigating' ? inc : act(inc, { type: 'acknowledge', by: who.name, note: req.reason });
      const vendorAck = req.vendor !== undefined ? await ctx.tickets!.acknowledge({ incidentId: inc.id, vendor: req.vendor, by: who.name }) : undefined;
      return { incident: after, ...(vendorAck !== undefined && { vendorAck }) };
    }
    case 'note': {
      const inc = await incident(req.incident);
      audit(req.incident, req.reason ?? req.note, { note: req.note });
      return { incident: act(inc, { type: 'note', by: who.name, note: req.note }) };
    }
    case 'assign': {
      const inc = await incident(req.incident);
      audit(req.incident, req.reason, { role: req.role, person: req.person });
      return { incident: act(inc, { type: 'action', by: who.name, action: 'role.assigned', detail: { role: req.role, person: req.person, reason: req.reason } }) };
    }
    case 'switch':
    case 'pin': {
      const cfg = streamCfg(req.stream);
      if (!(req.line in cfg.lines)) throw new HttpError('not_found', `stream "${req.stream}" has no line "${req.line}" (lines: ${Object.keys(cfg.lines).join(', ')})`);
      const c = controller();
      const until = expiryOf(req, req.type === 'switch' ? DEFAULT_SWITCH_TTL_MS : undefined);
      audit(req.stream, req.reason, { line: req.line, until });
      const state = c.pin(req.stream, { line: req.line, reason: req.reason, by: who.name, until });
      return { stream: req.stream, until, served: c.served(req.stream), state };
    }
    case 'failback': {
      streamCfg(req.stream);
      const c = controller();
      audit(req.stream, req.reason, {});
      const state = c.unpin(req.stream, who.name, req.reason);
      return { stream: req.stream, served: c.served(req.stream), state };
    }
    case 'feature': {
      streamCfg(req.stream);
      const c = controller();
      if (req.enabled === 'auto') {
        audit(req.stream, req.reason, { feature: req.feature, enabled: 'auto' });
        const state = c.unpinFeature(req.stream, req.feature, who.name, req.reason);
        return { stream: req.stream, served: c.served(req.stream), state };
      }
      const until = expiryOf(req, DEFAULT_SWITCH_TTL_MS);
      audit(req.stream, req.reason, { feature: req.feature, enabled: req.enabled, until });
      const state = c.pinFeature(req.stream, { feature: req.feature, enabled: req.enabled, reason: req.reason, by: who.name, until });
      return { stream: req.stream, until, served: c.served(req.stream), state };
    }
    case 'silence': {
      if (req.matcher.stream !== undefined) streamCfg(req.matcher.stream);
      const until = expiryOf(req);
      const s = await ctx.silences.add({ matcher: req.matcher, until, by: who.name, reason: req.reason, at: now });
      audit(s.id, req.reason, { matcher: req.matcher, until });
      return { silence: s };
    }
    case 'unsilence': {
      const s = ctx.silences.active().find((x) => x.id === req.silence);
      if (!s) throw new HttpError('not_found', `no active silence "${req.silence}"`);
      audit(s.id, req.reason, { matcher: s.matcher });
      await ctx.silences.remove(s.id);
      return { removed: s };
    }
    case 'ticket': {
      const tickets = ctx.tickets;
      if (!tickets) throw new HttpError('unavailable', 'tickets are not running on this hub');
      const inc = await incident(req.incident);
      // An unknown vendor is a bad name like an unknown incident: refused before the audit.
      await ticketRequest(() => tickets.ticketVendorsFor(req.vendor));
      audit(inc.id, req.reason, { vendor: req.vendor });
      return ticketRequest(() => tickets.openByHand({ incidentId: inc.id, by: who.name, reason: req.reason, ...(req.vendor !== undefined && { vendor: req.vendor }) }));
    }
    case 'add-stream':
    case 'change-stream':
    case 'remove-stream':
    case 'reset-stream': {
      const change = streamChangeOf(req);
      const e = editor();
      e.check(change);
      const { op, ...data } = change;
      audit(op === 'add' ? String(change.definition['id']) : change.stream, req.reason, data);
      return e.apply(change, { by: who.name, reason: req.reason });
    }
    case 'drill': {
      if (!ctx.tickets) throw new HttpError('unavailable', 'tickets are not running on this hub');
      audit('tickets', req.reason, { waitAckMs: req.waitAckMs });
      return { report: await ctx.tickets.drill({ by: who.name, ...(req.waitAckMs !== undefined && { waitAckMs: req.waitAckMs }) }) };
    }
  }
}

function streamChangeOf(req: Extract<Request, { type: 'add-stream' | 'change-stream' | 'remove-stream' | 'reset-stream' }>): StreamChange {
  switch (req.type) {
    case 'add-stream':
      return { op: 'add', definition: req.definition };
    case 'change-stream':
      return { op: 'change', stream: req.stream, changes: req.changes };
    case 'remove-stream':
      return { op: 'remove', stream: req.stream };
    case 'reset-stream':
      return { op: 'reset', stream: req.stream };
  }
}

/** Runs a tickets-service call; its TicketRequestError becomes the HttpError of the same code. */
async function ticketRequest<T>(call: () => T | Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof TicketRequestError) throw new HttpError(err.code, err.message);
    throw err;
  }
}

/**
 * streams × lines × regions health, active line, pins, features, open incidents, silences. On a hub
 * of a cluster each stream says its `owner` hub; a stream another hub owns is told from what its
 * owner stored: its control state, its open incidents, its line health (as of the owner's last
 * write, a fraction of a second behind its detector).
 */
export async function snapshot(ctx: CommandContext): Promise<unknown> {
  const { hub } = ctx;
  const ownership = ctx.ownership ?? soleOwnership;
  const open = await openIncidents(ctx);
  const streams = ctx.streams();
  const others = streams.filter((s) => !ownership.owns(s.id)).map((s) => s.id);
  const [stored, storedHealth] = others.length === 0 ? [new Map<string, PersistedControl>(), new Map<string, LineHealthDocument>()] : await Promise.all([storedControl(ctx), ctx.sharedHealth?.read(others) ?? new Map<string, LineHealthDocument>()]);
  const owner = ownerNames(ctx);
  return {
    at: hub.clock(),
    streams: await Promise.all(
      streams.map(async (s) => {
        const here = ownership.owns(s.id);
        const served = here ? ctx.controller?.served(s.id) : undefined;
        const doc = here ? undefined : stored.get(s.id);
        const line = here ? ctx.controller?.state(s.id)?.line : doc;
        const by = await owner(s.id);
        return {
          id: s.id,
          lines: Object.keys(s.lines),
          active: served?.active ?? doc?.served?.line ?? doc?.active ?? Object.keys(s.lines)[0],
          health: (here ? ctx.controller?.health(s.id) : storedHealth.get(s.id)) ?? {},
          features: served?.features ?? doc?.served?.features ?? {},
          ...(line?.pin && { pin: line.pin }),
          ...(line?.hold && { hold: line.hold }),
          openIncidents: open.filter((i) => i.stream === s.id).map((i) => i.id),
          ...(by !== undefined && { owner: by }),
        };
      }),
    ),
    incidents: open,
    silences: ctx.silences.active(),
  };
}

/**
 * The open incidents: this hub's own from its manager, the other hubs' from the store (where
 * their owners save them). A lone hub reads its manager alone.
 */
async function openIncidents(ctx: CommandContext): Promise<Incident[]> {
  const mine = ctx.hub.incidents.open();
  const ownership = ctx.ownership;
  if (!ownership) return mine;
  const ids = new Set(mine.map((i) => i.id));
  const others = (await ctx.store.incidents.open()).filter((i) => {
    const stream = ownedStreamOf(i);
    return !ids.has(i.id) && stream !== undefined && !ownership.owns(stream);
  });
  return [...mine, ...others];
}

/** The control state the owners of the streams saved, by stream; a document that is not one is left out (that stream shows its defaults). */
async function storedControl(ctx: CommandContext): Promise<Map<string, PersistedControl>> {
  const docs = new Map<string, PersistedControl>();
  for (const row of await ctx.store.control.all()) {
    const doc = PersistedControlSchema.safeParse(row.data);
    if (doc.success) docs.set(row.stream, doc.data);
  }
  return docs;
}

/** The hub owning a stream, by name, on a hub of a cluster (undefined on a lone hub, or while nobody owns it). */
function ownerNames(ctx: CommandContext): (stream: string | undefined) => Promise<string | undefined> {
  const { owners } = ctx;
  const ownership = ctx.ownership ?? soleOwnership;
  return async (stream) => {
    if (!owners || stream === undefined) return undefined;
    return ownership.owns(stream) ? owners.self : (await owners.ownerOf(stream))?.hub;
  };
}

async function listIncidents(ctx: CommandContext, q: Extract<Request, { type: 'incidents' }>) {
  const { hub, store } = ctx;
  const wantResolved = q.state === 'all' || q.state === 'resolved' || (Array.isArray(q.state) && q.state.includes('resolved'));
  const known = await knownIncidents({ repository: store.incidents, recent: () => hub.incidents.recent() }, wantResolved);
  const states = q.state === undefined || q.state === 'active' ? ['open', 'acknowledged', 'mitigating'] : q.state === 'all' ? undefined : Array.isArray(q.state) ? q.state : [q.state];
  const sev = q.severity === undefined ? undefined : Array.isArray(q.severity) ? q.severity : [q.severity];
  const list = known
    .filter((i) => !states || states.includes(i.status))
    .filter((i) => !sev || sev.includes(i.severity))
    .filter((i) => q.stream === undefined || i.stream === q.stream)
    .filter((i) => q.from === undefined || i.updatedAt >= q.from)
    .filter((i) => q.to === undefined || i.openedAt <= q.to)
    .sort((a, b) => b.openedAt - a.openedAt);
  return { incidents: list.slice(0, q.limit ?? 100), total: list.length };
}

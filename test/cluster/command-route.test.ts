import { describe, expect, it } from 'vitest';
import { routeCommand, type RouteInput } from '../../src/cluster/command-route.ts';
import { ownedStreamOf } from '../../src/cluster/owned-stream.ts';
import type { StreamOwner, StreamOwners } from '../../src/cluster/directory.ts';

/** The routing decision of a command for a stream: here, on its owner, or a 503 to retry. */

function owners(self: string, table: Record<string, StreamOwner>): StreamOwners & { asked: string[] } {
  const asked: string[] = [];
  return {
    self,
    asked,
    ownerOf: async (stream) => {
      asked.push(stream);
      return table[stream];
    },
  };
}

const HUB_A = { hub: 'hub-a', shard: 4, url: 'http://10.0.0.1:8080' };
const input = (over: Partial<RouteInput>): RouteInput => ({ stream: 's1', owns: false, forwardedBy: undefined, owners: owners('hub-b', { s1: HUB_A }), ...over });

describe('routeCommand', () => {
  it('runs a command for an owned stream here, without asking who owns it', async () => {
    const dir = owners('hub-b', { s1: HUB_A });
    expect(await routeCommand(input({ owns: true, owners: dir }))).toEqual({ to: 'here' });
    expect(await routeCommand(input({ owns: true, forwardedBy: 'hub-a', owners: dir }))).toEqual({ to: 'here' });
    expect(await routeCommand(input({ owns: true, owners: undefined }))).toEqual({ to: 'here' });
    expect(dir.asked).toEqual([]);
  });

  it("sends a command for another hub's stream to that hub's URL", async () => {
    expect(await routeCommand(input({}))).toEqual({ to: 'owner', hub: 'hub-a', url: 'http://10.0.0.1:8080' });
  });

  it('refuses a forwarded command for a stream not owned here (no second hop), without asking who owns it', async () => {
    const dir = owners('hub-b', { s1: HUB_A });
    const r = await routeCommand(input({ forwardedBy: 'hub-c', owners: dir }));
    expect(r.to).toBe('nobody');
    const error = r.to === 'nobody' ? r.error : undefined;
    expect([error?.status, error?.code]).toEqual([503, 'unavailable']);
    expect(error?.message).toBe('hub "hub-c" forwarded a command for stream "s1" here, but this hub does not own it (its shard is changing hands): retry in a moment');
    expect(dir.asked).toEqual([]);
  });

  it.each([
    ['no live owner', owners('hub-b', {}), 'stream "s1" has no owner hub right now (its shard is changing hands): retry in a moment'],
    ['the lease is this hub\'s but the stream not yet', owners('hub-a', { s1: HUB_A }), 'this hub is taking stream "s1" over (its shard is changing hands): retry in a moment'],
    ['an owner that never advertised its URL', owners('hub-b', { s1: { ...HUB_A, url: undefined } }), 'hub "hub-a" owns stream "s1" but has not advertised its URL yet (it is starting): retry in a moment'],
    ['no directory of other hubs', undefined, 'this hub does not own stream "s1" and knows no other hub: retry in a moment'],
  ])('answers 503 unavailable for %s', async (_case, dir, message) => {
    const r = await routeCommand(input({ owners: dir }));
    expect(r.to === 'nobody' && { status: r.error.status, code: r.error.code, message: r.error.message }).toEqual({ status: 503, code: 'unavailable', message });
  });

  it('answers 503 unavailable when the owners cannot be read', async () => {
    const broken: StreamOwners = { self: 'hub-b', ownerOf: () => Promise.reject(new Error('connection terminated')) };
    const r = await routeCommand(input({ owners: broken }));
    expect(r.to === 'nobody' && { status: r.error.status, message: r.error.message }).toEqual({ status: 503, message: 'the owner of stream "s1" cannot be read from the store (connection terminated): retry in a moment' });
  });
});

describe('ownedStreamOf', () => {
  it("is the incident's stream, or the probe's pseudo-stream for a probe's own incident", () => {
    expect(ownedStreamOf({ stream: 's1', probe: 'p-eu' })).toBe('s1');
    expect(ownedStreamOf({ probe: 'p-eu' })).toBe('probe:p-eu');
    expect(ownedStreamOf({})).toBeUndefined();
  });
});

/**
 * Content faults end to end: the lab's publishers turn the primary's picture black, mute its sound
 * or make it loud; the hub's embedded probes (two regions, content checks on both lines) see it in
 * the decoded media, the detector grades it, the controller fails over and the vendor desk gets a
 * ticket saying why. test/app/content-hub.test.ts covers the grading with synthetic probes; this
 * file proves the same path with real media.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContentMode } from '../../src/model/stream.ts';
import { FAILBACK_HOLD_OFF_MS, STREAM, startContentLabHub, type ContentLabHub } from '../helpers/content-lab-hub.ts';
import { until } from '../helpers/until.ts';

/** DEFAULT_RULES.black.for and .silence.for. */
const CONTENT_HOLD_MS = 2000;
/** The probe's window. */
const WINDOW_MS = 1000;
/** The lab's GOP (25 frames at 25 fps): light decodes keyframes only, so a black edge lands up to one late. */
const KEYFRAME_INTERVAL_MS = 1000;
/**
 * Fault → switch decided: the hold, plus the window the picture went black in (it counts only
 * when ≥ 90 % black), plus one keyframe interval (light decodes keyframes only, so black is seen
 * up to one late), plus 1 s for the decoder's pipeline, the sample's trip to the hub and the
 * hub's 1 s tick on the shared 2-core machine. One bound for both modes: full sees the frame
 * itself and is sooner when the machine is idle, but its every-frame decode is the first to be
 * starved (an impaired window is not judged and restarts the run), and its delays then pass the
 * light figure (bench/RESULTS.md "Failover on a black picture": 2.7 s in both modes unstarved;
 * at load 7–12 light 3.6–3.8 s, full up to 4.4 s, and 4.6 s once in this test).
 */
const SWITCH_BOUND_MS = CONTENT_HOLD_MS + WINDOW_MS + KEYFRAME_INTERVAL_MS + 1000;
/** Long enough to trip and be switched away from, even after a few starved windows; short enough to keep the file quick. */
const FAULT_MS = 7000;

function contentSuite(content: ContentMode, faults: { silence: boolean; loud: boolean }): void {
  describe(`content: ${content}`, () => {
    let env: ContentLabHub;
    beforeAll(async () => {
      env = await startContentLabHub(content);
      await env.ready();
    }, 30_000);
    afterAll(async () => {
      await env?.stop();
    });

    /** Both lines clean and the primary served again, before the next fault. */
    const quiet = async () => {
      await until('the primary served', async () => (await env.playing()) === 'primary', 15_000);
      await until('no incident on the primary', async () => (await env.rest.openOn(STREAM, 'primary')).length === 0, 15_000);
    };

    it(`black on the primary → P1, failover within ${SWITCH_BOUND_MS} ms, a "black picture" ticket; picture back → failback after the hold-off`, async () => {
      await quiet();
      const black = await env.lab.applyFault({ stream: STREAM, line: 'primary', kind: 'black', durationMs: FAULT_MS });
      const switched = await env.switchTo('backup', black.startedAt, FAULT_MS);
      // A window the probe marks impaired (starved by the shared machine) is not judged and
      // restarts the black run: each one may push the switch back by a hold and a window.
      const impaired = await env.impairedWindows('primary', black.startedAt, switched.t);
      expect(switched.t - black.startedAt, `${impaired} impaired window(s)`).toBeLessThanOrEqual(SWITCH_BOUND_MS + impaired * (CONTENT_HOLD_MS + WINDOW_MS));
      expect(switched).toMatchObject({ from: 'primary', why: expect.stringContaining('down') });
      expect(await env.playing()).toBe('backup');
      const hook = await until('the switch webhook', () => env.desk.hooks.find((h) => (h.body as { type?: string; to?: string }).type === 'switch' && h.at >= black.startedAt));
      expect(hook.body).toMatchObject({ from: 'primary', to: 'backup' });

      const incident = await until('the P1 incident', () => env.hub.hub.incidents.byDedupKey(`${STREAM}/primary/down`));
      expect(incident).toMatchObject({ severity: 'P1', scope: 'line' });
      // Its onset is when the picture went black, as the probe saw it: up to a keyframe late in
      // light, plus the same pipeline slack as the switch bound (frames are timed on arrival).
      expect(Math.abs(incident.onset - black.startedAt)).toBeLessThanOrEqual(KEYFRAME_INTERVAL_MS + 1000);
      const ticket = await until('the desk ticket', () => env.desk.tickets.find((t) => t.externalId === incident.id), 10_000);
      expect(ticket.priority).toBe('high'); // P1
      expect(`${ticket.subject}\n${ticket.comments.join('\n')}`).toContain('black picture');

      const ended = await env.ended(black, FAULT_MS + 5000);
      const back = await env.switchTo('primary', ended.endedAt, 15_000);
      expect(back.t - ended.endedAt).toBeGreaterThanOrEqual(FAILBACK_HOLD_OFF_MS);
      expect(await env.playing()).toBe('primary');
    }, 40_000);

    if (faults.silence) {
      it('silence on the primary → P1 and failover; sound back → failback', async () => {
        await quiet();
        const silence = await env.lab.applyFault({ stream: STREAM, line: 'primary', kind: 'silence', durationMs: FAULT_MS });
        // Sound is measured in 100 ms blocks in both modes: no keyframe term.
        const switched = await env.switchTo('backup', silence.startedAt, FAULT_MS);
        const impaired = await env.impairedWindows('primary', silence.startedAt, switched.t);
        expect(switched.t - silence.startedAt, `${impaired} impaired window(s)`).toBeLessThanOrEqual(CONTENT_HOLD_MS + WINDOW_MS + 1000 + impaired * (CONTENT_HOLD_MS + WINDOW_MS));
        const incident = await until('the P1 incident', () => env.hub.hub.incidents.byDedupKey(`${STREAM}/primary/down`));
        expect(incident.severity).toBe('P1');
        // The same key as the black fault's: a relapse reopens that incident and its one ticket.
        await until('the desk ticket open', () => env.desk.tickets.find((t) => t.externalId === incident.id && t.status === 'open' && t.priority === 'high'), 10_000);
        const ended = await env.ended(silence, FAULT_MS + 5000);
        await env.switchTo('primary', ended.endedAt, 15_000);
      }, 30_000);
    }

    if (faults.loud) {
      it('loud on the primary → P2 degraded (true peak), no switch', async () => {
        await quiet();
        const loud = await env.lab.applyFault({ stream: STREAM, line: 'primary', kind: 'loud', durationMs: FAULT_MS });
        // +20 dB puts the tone's true peak at −0.9 dBTP (over −1: `true-peak`, 2 s); its short-term
        // loudness, −17.7 LUFS, stays under `too-loud`'s −14.
        const incident = await until('the P2 incident', () => env.hub.hub.incidents.byDedupKey(`${STREAM}/primary/degraded`), 10_000);
        expect(incident).toMatchObject({ severity: 'P2', kind: 'degraded' });
        await env.ended(loud, FAULT_MS + 5000);
        await env.rest.pollSwitches();
        expect(env.rest.switches().filter((s) => s.t >= loud.startedAt)).toEqual([]);
        expect(await env.playing()).toBe('primary');
      }, 30_000);
    }
  });
}

contentSuite('light', { silence: true, loud: true });
contentSuite('full', { silence: false, loud: false });

import { describe, expect, it } from 'vitest';
import { clockTime, dateTime, duration, setTimeZone, timeZone, zoneLabel } from '../../src/console/public/time.js';

function memory(): { getItem(k: string): string | null; setItem(k: string, v: string): void } {
  const m = new Map<string, string>();
  return { getItem: (k) => m.get(k) ?? null, setItem: (k, v) => void m.set(k, v) };
}

describe('console time', () => {
  it('is UTC until the operator switches to local, and remembers the switch', () => {
    const s = memory();
    expect(timeZone(s)).toBe('utc');
    setTimeZone('local', s);
    expect(timeZone(s)).toBe('local');
    setTimeZone('utc', s);
    expect(timeZone(s)).toBe('utc');
  });

  it('formats 24-hour UTC times and names the zone', () => {
    const t = Date.UTC(2026, 11, 3, 4, 5, 6);
    expect(clockTime(t, 'utc')).toBe('04:05:06');
    expect(dateTime(t, 'utc')).toBe('2026-12-03 04:05:06');
    expect(zoneLabel('utc')).toBe('UTC');
    expect(zoneLabel('local')).toMatch(/^UTC[+−]\d\d:\d\d$/);
  });

  it('says durations the way people read them', () => {
    expect(duration(850)).toBe('850 ms');
    expect(duration(12_400)).toBe('12 s');
    expect(duration(245_000)).toBe('4 min 05 s');
    expect(duration(7_800_000)).toBe('2 h 10 min');
  });
});

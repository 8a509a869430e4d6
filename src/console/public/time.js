// One time zone for the whole console: UTC unless the operator switched to the browser's local
// zone (kept in localStorage, so every page and tab agrees). Times are 24-hour, with the zone named.

const ZONE_KEY = 'streamguard.timeZone';

/** 'utc' (default) or 'local'. */
export function timeZone(storage = globalThis.localStorage) {
  return storage?.getItem(ZONE_KEY) === 'local' ? 'local' : 'utc';
}

export function setTimeZone(zone, storage = globalThis.localStorage) {
  storage?.setItem(ZONE_KEY, zone === 'local' ? 'local' : 'utc');
}

/** The zone as the header shows it: "UTC" or the browser's offset, e.g. "UTC+08:00". */
export function zoneLabel(zone, at = Date.now()) {
  if (zone === 'utc') return 'UTC';
  const minutes = -new Date(at).getTimezoneOffset();
  const sign = minutes < 0 ? '−' : '+';
  const abs = Math.abs(minutes);
  return `UTC${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** "14:03:27" in the zone. */
export function clockTime(t, zone) {
  const d = new Date(t);
  return zone === 'utc'
    ? `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
    : `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** "2026-12-03 14:03:27" in the zone. */
export function dateTime(t, zone) {
  const d = new Date(t);
  const date = zone === 'utc'
    ? `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`
    : `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  return `${date} ${clockTime(t, zone)}`;
}

/** A duration for people: "850 ms", "12 s", "4 min 05 s", "2 h 10 min". */
export function duration(ms) {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${pad(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${pad(Math.floor((s % 3600) / 60))} min`;
}

function pad(n) {
  return String(n).padStart(2, '0');
}

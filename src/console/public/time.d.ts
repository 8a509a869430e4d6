export type Zone = 'utc' | 'local';
interface ZoneStorage { getItem(key: string): string | null; setItem(key: string, value: string): void }
export function timeZone(storage?: ZoneStorage): Zone;
export function setTimeZone(zone: Zone, storage?: ZoneStorage): void;
export function zoneLabel(zone: Zone, at?: number): string;
export function clockTime(t: number, zone: Zone): string;
export function dateTime(t: number, zone: Zone): string;
export function duration(ms: number): string;

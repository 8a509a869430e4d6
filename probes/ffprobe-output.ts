import type { MediaKind } from './events.ts';

/**
 * Parses ffprobe `-print_format compact` lines produced with
 * `-show_entries packet=codec_type,pts_time,size,flags:frame=media_type,width,height`.
 * Pure: the spawn lives in ffprobe-stream.ts.
 */
export type ProbeLine =
  | { type: 'packet'; kind: MediaKind; ptsMs?: number; size: number; key: boolean }
  | { type: 'frame'; kind: MediaKind; width?: number; height?: number };

function fields(rest: string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const part of rest) {
    const eq = part.indexOf('=');
    if (eq > 0) map.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return map;
}

function mediaKind(value: string | undefined): MediaKind | undefined {
  return value === 'video' || value === 'audio' ? value : undefined;
}

/** ffprobe writes "N/A" for missing numbers. */
function num(value: string | undefined): number | undefined {
  if (value === undefined || value === 'N/A' || value === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

export function parseProbeLine(line: string): ProbeLine | undefined {
  const [section, ...rest] = line.trim().split('|');
  const f = fields(rest);
  if (section === 'packet') {
    const kind = mediaKind(f.get('codec_type'));
    if (!kind) return undefined; // data/subtitle tracks do not count as media
    const pts = num(f.get('pts_time'));
    return {
      type: 'packet',
      kind,
      ...(pts === undefined ? {} : { ptsMs: pts * 1000 }),
      size: num(f.get('size')) ?? 0,
      key: (f.get('flags') ?? '').startsWith('K'),
    };
  }
  if (section === 'frame') {
    const kind = mediaKind(f.get('media_type'));
    if (!kind) return undefined;
    const width = num(f.get('width'));
    const height = num(f.get('height'));
    return {
      type: 'frame',
      kind,
      ...(width ? { width } : {}),
      ...(height ? { height } : {}),
    };
  }
  return undefined;
}

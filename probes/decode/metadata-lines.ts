/**
 * Parses what ffmpeg's `metadata=mode=print` / `ametadata=mode=print` filters log on stderr:
 *   [Parsed_metadata_1 @ 0x1c0] frame:12   pts:501     pts_time:0.501
 *   [Parsed_metadata_1 @ 0x1c0] lavfi.signalstats.YDIF=2.47
 * Printing to stderr (av_log) rather than `file=pipe:N` because the file output goes through a
 * 32 KiB avio buffer that delayed video values by ~1.5 s; av_log writes each line at once.
 * Several filter instances interleave, so the current pts is tracked per instance tag.
 */
export interface MetadataValue {
  key: string;
  value: number;
  /** Frame pts in ms; undefined when ffmpeg printed NOPTS. */
  ptsMs: number | undefined;
}

const LINE = /^\[(\S+) @ [^\]]+\]\s*(.*)$/;
const HEADER = /^frame:\s*\d+\s+pts:\s*\S+\s+pts_time:\s*(\S+)/;
const KEY_VALUE = /^(lavfi\.[\w.]+)=(\S+)$/;

export class MetadataLineParser {
  private readonly ptsByTag = new Map<string, number | undefined>();

  parse(line: string): MetadataValue | undefined {
    const m = LINE.exec(line.trim());
    if (!m) return undefined;
    const tag = m[1] ?? '';
    const body = m[2] ?? '';
    const header = HEADER.exec(body);
    if (header) {
      const seconds = Number(header[1]);
      this.ptsByTag.set(tag, Number.isFinite(seconds) ? seconds * 1000 : undefined);
      return undefined;
    }
    const kv = KEY_VALUE.exec(body);
    if (!kv || !this.ptsByTag.has(tag)) return undefined;
    const raw = kv[2] ?? '';
    // astats prints -inf for digital silence.
    const value = raw === '-inf' ? -Infinity : raw === 'inf' ? Infinity : Number(raw);
    if (Number.isNaN(value)) return undefined;
    return { key: kv[1] ?? '', value, ptsMs: this.ptsByTag.get(tag) };
  }
}
